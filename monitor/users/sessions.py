"""Console logins: a random secret in an HTTP-only cookie, its SHA-256 and CSRF token stored.

A login lasts ``lifetime`` past its last use (sliding) and ends on logout, when the user is
disabled, or when its password changes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitor.db.models import User, WebSession
from monitor.users.tokens import digest

# refreshing the expiry on every request would write on every page view
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Login:
    """A live login: its user and the CSRF token its forms must carry."""

    user: User
    csrf_token: str


def start_session(
    session: Session, *, user: User, now: datetime, lifetime: timedelta, address: str | None,
) -> tuple[str, str]:
    """(cookie secret, CSRF token) of a new login of ``user``."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=digest(secret), user_id=user.id, csrf_token=csrf,
                           created_at=now, last_seen_at=now, expires_at=now + lifetime,
                           address=(address or "")[:64] or None))
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    session.flush()
    return secret, csrf


def resume_session(
    session: Session, *, secret: str, now: datetime, lifetime: timedelta,
) -> Login | None:
    """The login a cookie secret belongs to, if still valid; extends it."""
    row = session.execute(
        select(WebSession, User).join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == digest(secret))
    ).first()
    if row is None:
        return None
    login, user = row[0], row[1]
    if (login.expires_at <= now or user.disabled_at is not None
            or user.password_changed_at > login.created_at):
        session.delete(login)
        return None
    if now - login.last_seen_at >= _TOUCH_EVERY:
        login.last_seen_at, login.expires_at = now, now + lifetime
    return Login(user=user, csrf_token=login.csrf_token)


def end_session(session: Session, *, secret: str) -> None:
    """Log out: the cookie secret works no more."""
    session.execute(delete(WebSession).where(WebSession.token_hash == digest(secret)))
