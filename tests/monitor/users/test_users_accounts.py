"""Accounts: name rules, argon2 hashes, one refusal for every failed login, roles, passwords
that end logins, and the login limiter's counting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from monitor.app import App
from monitor.db.models import User, WebSession
from monitor.users.accounts import (
    LoginFailed,
    UsersError,
    add_user,
    authenticate,
    list_users,
    set_disabled,
    set_password,
    set_role,
)
from monitor.users.login_limit import LoginLimiter
from monitor.users.roles import UnknownRole, allows
from monitor.users.sessions import resume_session, start_session

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SECRET = "correct horse battery"
HOURS = timedelta(hours=12)


def _add(app: App, name: str, *, role: str = "responder", password: str = SECRET) -> None:
    with app.sessions.begin() as s:
        add_user(s, name=name, password=password, role_name=role, person=None, by="test", now=NOW)


def test_names_must_be_lower_case_words_and_unique(example_app: App) -> None:
    for bad in ("Ada", "", "a b", "-ada", ".ada", "ada/x", "a" * 65, "ada\n", "艾达"):
        with pytest.raises(UsersError, match="bad user name"):
            _add(example_app, bad)
    for good in ("ada", "li.na", "ops_bot-2", "a" * 64):
        _add(example_app, good)
    with pytest.raises(UsersError, match="user 'ada' exists already"):
        _add(example_app, "ada", role="viewer")
    with example_app.sessions() as s:
        assert [u.name for u in list_users(s)] == ["a" * 64, "ada", "li.na", "ops_bot-2"]


def test_a_weak_password_or_an_unknown_role_is_refused(example_app: App) -> None:
    with pytest.raises(UsersError, match="password too short: at least 10 characters"):
        _add(example_app, "ada", password="123456789")
    with pytest.raises(UnknownRole, match="unknown role 'root': one of viewer, responder, admin"):
        _add(example_app, "ada", role="root")
    with example_app.sessions() as s:
        assert list_users(s) == []


def test_only_an_argon2id_hash_is_stored_never_the_password(example_app: App) -> None:
    _add(example_app, "ada")
    with example_app.sessions() as s:
        user = s.scalars(select(User)).one()
        stored = [str(getattr(user, c.key)) for c in User.__table__.columns]
    assert user.password_hash.startswith("$argon2id$")
    assert not any(SECRET in value for value in stored)


def test_every_failed_login_says_the_same(example_app: App) -> None:
    _add(example_app, "ada")
    _add(example_app, "bob")
    with example_app.sessions.begin() as s:
        set_disabled(s, name="bob", disabled=True, now=NOW)
    messages = []
    for name, password in [("ada", "wrong password!"), ("nobody", SECRET), ("bob", SECRET)]:
        with example_app.sessions() as s, pytest.raises(LoginFailed) as refused:
            authenticate(s, name=name, password=password)
        messages.append(str(refused.value))
    assert messages == ["wrong user name or password"] * 3
    with example_app.sessions() as s:
        assert authenticate(s, name="ada", password=SECRET).name == "ada"
    with example_app.sessions.begin() as s:
        set_disabled(s, name="bob", disabled=False, now=NOW)
    with example_app.sessions() as s:
        assert authenticate(s, name="bob", password=SECRET).name == "bob"


def test_role_change(example_app: App) -> None:
    _add(example_app, "ada", role="viewer")
    with example_app.sessions.begin() as s:
        assert set_role(s, name="ada", role_name="admin").role == "admin"
        with pytest.raises(UsersError, match="no user 'bob'"):
            set_role(s, name="bob", role_name="admin")
    with example_app.sessions() as s:
        [ada] = list_users(s)
    assert ada.role == "admin"
    assert allows("admin", "responder") and not allows("viewer", "responder")
    assert not allows("root", "viewer")


def _login(app: App, name: str, at: datetime) -> str:
    with app.sessions.begin() as s:
        user = s.scalars(select(User).where(User.name == name)).one()
        secret, _ = start_session(s, user=user, now=at, lifetime=HOURS, address="10.0.0.1")
    return secret


def _resumes(app: App, secret: str, at: datetime) -> bool:
    with app.sessions.begin() as s:
        return resume_session(s, secret=secret, now=at, lifetime=HOURS) is not None


def test_a_password_change_ends_every_login_even_one_made_in_the_same_instant(
    example_app: App,
) -> None:
    _add(example_app, "ada")
    _add(example_app, "bob")
    earlier = _login(example_app, "ada", NOW)
    same_instant = _login(example_app, "ada", NOW + timedelta(hours=1))
    bobs = _login(example_app, "bob", NOW)
    assert _resumes(example_app, earlier, NOW + timedelta(hours=1))
    with example_app.sessions.begin() as s:
        set_password(s, name="ada", password="another long secret", now=NOW + timedelta(hours=1))
    assert not _resumes(example_app, earlier, NOW + timedelta(hours=1))
    assert not _resumes(example_app, same_instant, NOW + timedelta(hours=1))
    assert _resumes(example_app, bobs, NOW + timedelta(hours=1))
    with example_app.sessions() as s:
        with pytest.raises(LoginFailed):
            authenticate(s, name="ada", password=SECRET)
        assert authenticate(s, name="ada", password="another long secret").name == "ada"
        # only the session secret's SHA-256 is kept
        stored = s.scalars(select(WebSession.token_hash)).all()
    assert bobs not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_disabling_a_user_ends_its_logins(example_app: App) -> None:
    _add(example_app, "ada")
    secret = _login(example_app, "ada", NOW)
    with example_app.sessions.begin() as s:
        set_disabled(s, name="ada", disabled=True, now=NOW)
    with example_app.sessions.begin() as s:
        set_disabled(s, name="ada", disabled=False, now=NOW)
    assert not _resumes(example_app, secret, NOW)  # enabling again does not revive them


def test_limiter_counts_failures_per_key_in_a_sliding_window() -> None:
    now = [datetime(2026, 12, 7, tzinfo=UTC)]
    limiter = LoginLimiter(attempts=3, window=timedelta(minutes=15), clock=lambda: now[0])
    for _ in range(3):
        now[0] += timedelta(minutes=1)
        assert limiter.retry_after("user:ada", "addr:1") == 0
        limiter.failed("user:ada", "addr:1")
    # the first failure (minute 1) leaves the window at minute 16
    assert limiter.retry_after("user:ada") == pytest.approx(13 * 60)
    assert limiter.retry_after("addr:1", "user:bob") == pytest.approx(13 * 60)
    assert limiter.retry_after("user:bob", "addr:2") == 0
    limiter.succeeded("user:ada")  # a good login clears the account, not the address
    assert limiter.retry_after("user:ada") == 0 and limiter.retry_after("addr:1") > 0
    now[0] += timedelta(minutes=13)
    assert limiter.retry_after("addr:1") == 0


def test_limiter_keeps_nothing_for_names_that_never_failed() -> None:
    now = [datetime(2026, 12, 7, tzinfo=UTC)]
    limiter = LoginLimiter(attempts=3, window=timedelta(minutes=1), clock=lambda: now[0])
    for n in range(1000):
        limiter.retry_after(f"user:sprayed{n}", "addr:1")
    limiter.failed("user:x")
    assert len(limiter._failures) == 1
    now[0] += timedelta(minutes=2)
    limiter.retry_after("user:x")
    assert limiter._failures == {}
