"""API tokens: only the SHA-256 is kept; a scope never above the role; expiry, revocation and
a disabled user stop them; last use is recorded."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from monitor.app import App
from monitor.db.models import ApiToken
from monitor.users.accounts import UsersError, add_user, set_disabled, set_role
from monitor.users.tokens import create_token, list_tokens, revoke_token, verify_token

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture()
def app(example_app: App) -> App:
    with example_app.sessions.begin() as s:
        add_user(s, name="ada", password="correct horse battery", role_name="responder",
                 person="li.na", by="test", now=NOW)
    return example_app


def _token(app: App, *, scope: str = "responder", expires_at: datetime | None = None) -> str:
    with app.sessions.begin() as s:
        _, secret = create_token(s, user_name="ada", name="ci", scope=scope, now=NOW,
                                 expires_at=expires_at)
    return secret


def _role(app: App, secret: str, at: datetime = NOW) -> str | None:
    with app.sessions.begin() as s:
        bearer = verify_token(s, secret=secret, now=at)
        return None if bearer is None else bearer.role


def test_only_the_sha256_of_a_token_is_stored(app: App) -> None:
    secret = _token(app)
    assert secret.startswith("cw_") and len(secret) > 40
    with app.sessions() as s:
        row = s.scalars(select(ApiToken)).one()
        stored = [str(getattr(row, c.key)) for c in ApiToken.__table__.columns]
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert not any(secret in value or secret[3:] in value for value in stored)
    assert _role(app, secret) == "responder"
    assert _role(app, secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert _role(app, row.token_hash) is None  # the stored hash is not itself a token


def test_a_scope_above_the_role_is_refused_and_a_demotion_lowers_every_token(app: App) -> None:
    with pytest.raises(UsersError, match="scope 'admin' is more than ada's role 'responder'"):
        _token(app, scope="admin")
    viewer_token, responder_token = _token(app, scope="viewer"), _token(app)
    assert (_role(app, viewer_token), _role(app, responder_token)) == ("viewer", "responder")
    with app.sessions.begin() as s:
        set_role(s, name="ada", role_name="viewer")
    assert _role(app, responder_token) == "viewer"
    with app.sessions.begin() as s:
        set_role(s, name="ada", role_name="admin")
    # promotion never widens a token beyond the scope it was made with
    assert (_role(app, viewer_token), _role(app, responder_token)) == ("viewer", "responder")


def test_expiry(app: App) -> None:
    with pytest.raises(UsersError, match="expire before it is made"):
        _token(app, expires_at=NOW)
    secret = _token(app, expires_at=NOW + timedelta(days=1))
    assert _role(app, secret, NOW + timedelta(hours=23)) == "responder"
    assert _role(app, secret, NOW + timedelta(days=1)) is None


def test_revoked_tokens_stop_and_stay_listed(app: App) -> None:
    secret, other = _token(app), _token(app)
    with app.sessions.begin() as s:
        [newest, first] = list_tokens(s, user_name="ada")
        revoke_token(s, token_id=first.id, now=NOW)
        revoke_token(s, token_id=first.id, now=NOW + timedelta(hours=1))  # twice: no change
        with pytest.raises(UsersError, match="no token 99"):
            revoke_token(s, token_id=99, now=NOW)
    assert _role(app, secret) is None and _role(app, other) == "responder"
    with app.sessions() as s:
        listed = {t.id: t.revoked for t in list_tokens(s)}
        revoked_at = s.get(ApiToken, first.id).revoked_at  # type: ignore[union-attr]
    assert listed == {newest.id: False, first.id: True} and revoked_at == NOW


def test_a_disabled_users_tokens_stop_until_it_is_enabled(app: App) -> None:
    secret = _token(app)
    with app.sessions.begin() as s:
        set_disabled(s, name="ada", disabled=True, now=NOW)
    assert _role(app, secret) is None
    with app.sessions.begin() as s:
        set_disabled(s, name="ada", disabled=False, now=NOW)
    assert _role(app, secret) == "responder"


def test_last_use_is_recorded(app: App) -> None:
    secret = _token(app)
    with app.sessions() as s:
        assert list_tokens(s)[0].last_used_at is None
    _role(app, secret, NOW + timedelta(minutes=5))
    with app.sessions() as s:
        assert list_tokens(s)[0].last_used_at == NOW + timedelta(minutes=5)
    # noted to the minute, so a client polling every few seconds does not write each time
    _role(app, secret, NOW + timedelta(minutes=5, seconds=30))
    with app.sessions() as s:
        assert list_tokens(s)[0].last_used_at == NOW + timedelta(minutes=5)
    _role(app, secret, NOW + timedelta(minutes=6))
    with app.sessions() as s:
        assert list_tokens(s)[0].last_used_at == NOW + timedelta(minutes=6)
