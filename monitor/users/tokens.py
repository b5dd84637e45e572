"""API tokens: ``cw_`` + 32 random bytes (URL-safe); only the SHA-256 is stored.

A token's scope is a role: it can do what that role can, and never more than its user's
current role. Tokens expire (optionally) and can be revoked; a disabled user's tokens stop.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db.models import ApiToken, User
from monitor.users.accounts import UsersError, get_user
from monitor.users.roles import ROLES, Role, allows, role

PREFIX = "cw_"
_NOTE_USE_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenView:
    """A token as listed (never its secret)."""

    id: int
    user: str
    name: str
    scope: Role
    created_at: datetime
    expires_at: datetime | None
    revoked: bool
    last_used_at: datetime | None


@dataclass(frozen=True)
class Bearer:
    """Who a valid token speaks for, and with which role (the lesser of scope and role)."""

    user: User
    role: Role
    token_id: int


def digest(secret: str) -> str:
    """The stored form of a token or session secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(
    session: Session, *, user_name: str, name: str, scope: str, now: datetime,
    expires_at: datetime | None,
) -> tuple[ApiToken, str]:
    """A new token of ``user_name`` and its secret (shown once, never stored)."""
    user = get_user(session, user_name)
    wanted = role(scope)
    if not allows(user.role, wanted):
        raise UsersError(f"scope {scope!r} is more than {user.name}'s role {user.role!r}")
    if expires_at is not None and expires_at <= now:
        raise UsersError("the token would expire before it is made")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name[:64], token_hash=digest(secret), scope=wanted,
                     created_at=now, expires_at=expires_at, revoked_at=None, last_used_at=None)
    session.add(token)
    session.flush()
    return token, secret


def verify_token(session: Session, *, secret: str, now: datetime) -> Bearer | None:
    """The bearer of a valid token (known, not revoked or expired, user enabled), else None."""
    if not secret.startswith(PREFIX):
        return None
    row = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest(secret))
    ).first()
    if row is None:
        return None
    token, user = row[0], row[1]
    if token.revoked_at is not None or user.disabled_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    # to the minute: writing on every call would make each read of a polling client a write
    if token.last_used_at is None or now - token.last_used_at >= _NOTE_USE_EVERY:
        token.last_used_at = now
    lesser = min(ROLES.index(role(token.scope)), ROLES.index(role(user.role)))
    return Bearer(user=user, role=ROLES[lesser], token_id=token.id)


def list_tokens(session: Session, *, user_name: str | None = None) -> list[TokenView]:
    """Tokens (of one user, or all), newest first."""
    query = select(ApiToken, User.name).join(User, User.id == ApiToken.user_id)
    if user_name is not None:
        query = query.where(User.name == get_user(session, user_name).name)
    return [
        TokenView(t.id, name, t.name, role(t.scope), t.created_at, t.expires_at,
                  t.revoked_at is not None, t.last_used_at)
        for t, name in session.execute(query.order_by(ApiToken.id.desc()))
    ]


def revoke_token(session: Session, *, token_id: int, now: datetime) -> ApiToken:
    """Revoke a token by id (stays listed, works no more)."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise UsersError(f"no token {token_id} (see `crisiswatch users tokens`)")
    if token.revoked_at is None:
        token.revoked_at = now
    session.flush()
    return token
