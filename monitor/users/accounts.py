"""Users: add, list, disable, enable, change password, authenticate."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitor.db.models import User, WebSession
from monitor.users.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from monitor.users.roles import Role, role

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")  # fullmatch: "$" would let "ada\n" pass


class UsersError(ValueError):
    """A request about users that cannot be done: one line saying why."""


class LoginFailed(UsersError):
    """Unknown user, wrong password or a disabled account (deliberately not told apart)."""


@dataclass(frozen=True)
class UserView:
    """A user as pages, the API and the CLI show it (never the hash)."""

    id: int
    name: str
    role: Role
    person: str | None
    created_at: datetime
    disabled: bool

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(user.id, user.name, role(user.role), user.person, user.created_at,
                   user.disabled_at is not None)


def check_name(name: str) -> str:
    """``name`` if it is a valid user name (lower-case letters, digits, . _ -)."""
    if not _NAME.fullmatch(name):
        raise UsersError(
            f"bad user name {name!r}: lower-case letters, digits, '.', '_' and '-', at most 64"
        )
    return name


def get_user(session: Session, name: str) -> User:
    """The user called ``name``, or UsersError."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise UsersError(f"no user {name!r} (see `crisiswatch users list`)")
    return user


def add_user(
    session: Session, *, name: str, password: str, role_name: str, person: str | None,
    by: str, now: datetime,
) -> User:
    """A new user; UsersError when the name is taken or invalid, or the password weak."""
    check_name(name)
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise UsersError(f"user {name!r} exists already")
    user = User(name=name, role=role(role_name), person=person,
                password_hash=_hashed(password), created_at=now, created_by=by,
                password_changed_at=now, disabled_at=None)
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[UserView]:
    """Every user, by name."""
    return [UserView.of(u) for u in session.scalars(select(User).order_by(User.name))]


def set_disabled(session: Session, *, name: str, disabled: bool, now: datetime) -> User:
    """Disable (its sessions and tokens stop working at once) or enable a user."""
    user = get_user(session, name)
    user.disabled_at = now if disabled else None
    if disabled:
        _end_logins(session, user)
    session.flush()
    return user


def set_role(session: Session, *, name: str, role_name: str) -> User:
    """Change a user's role."""
    user = get_user(session, name)
    user.role = role(role_name)
    session.flush()
    return user


def set_password(session: Session, *, name: str, password: str, now: datetime) -> User:
    """Change a user's password; every console login of the user ends."""
    user = get_user(session, name)
    user.password_hash = _hashed(password)
    user.password_changed_at = now
    # resume_session also refuses logins older than the change, but a login made in the
    # same instant (a coarse or frozen clock) would survive that test
    _end_logins(session, user)
    session.flush()
    return user


def authenticate(session: Session, *, name: str, password: str) -> User:
    """The enabled user whose password this is, or LoginFailed."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        verify_password(DUMMY_HASH, password)
        raise LoginFailed("wrong user name or password")
    if not verify_password(user.password_hash, password) or user.disabled_at is not None:
        raise LoginFailed("wrong user name or password")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _end_logins(session: Session, user: User) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def _hashed(password: str) -> str:
    from monitor.users.passwords import WeakPassword

    try:
        return hash_password(password)
    except WeakPassword as exc:
        raise UsersError(str(exc)) from None
