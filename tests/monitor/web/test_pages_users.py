"""/users (admins only): list, add, disable/enable, change role, create a token (secret shown
once, never stored) and revoke it, all through monitor.users and each audited."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.app import App
from monitor.db.models import ApiToken, AuditEntry, User
from monitor.users.tokens import digest
from monitor.web.testing import PASSWORD, add_user, log_in, web_client


def post(client: TestClient, url: str, **data: str) -> int:
    return client.post(url, data={"csrf_token": client.csrf, **data}).status_code  # type: ignore[attr-defined]


def audited(app: App) -> list[tuple[str, str | None]]:
    with app.sessions() as s:
        return [(e.action, e.target) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action.like("user.%")
                                     | AuditEntry.action.like("token.%"))
            .order_by(AuditEntry.id))]


def test_admin_adds_a_user_linked_to_a_person_who_can_then_log_in(
    app: App, client: TestClient
) -> None:
    page = client.get("/users").text
    assert '<a href="/users">Users</a>' in page
    assert '<option value="wang.wei">王伟 (wang.wei)</option>' in page
    assert post(client, "/users", name="wei", role="responder", person="wang.wei",
                password=PASSWORD) == 303
    with app.sessions() as s:
        user = s.scalars(select(User).where(User.name == "wei")).one()
    assert (user.role, user.person, user.created_by) == ("responder", "wang.wei", "ada")
    assert "User wei added." in client.get("/users").text
    log_in(web_client(app), "wei")
    assert post(client, "/users", name="wei", role="viewer", password=PASSWORD) == 400
    assert post(client, "/users", name="x", role="viewer", person="nobody",
                password=PASSWORD) == 400
    assert post(client, "/users", name="y", role="viewer", password="short") == 400
    assert audited(app) == [("user.add", "wei")]


def test_disable_enable_and_role_change(app: App, client: TestClient) -> None:
    add_user(app, "rex", role="responder")
    rex = web_client(app)
    log_in(rex, "rex")
    assert post(client, "/users/rex/disable") == 303
    assert rex.get("/stories").status_code == 303  # the login ended at once
    assert "disabled" in client.get("/users").text
    assert post(client, "/users/rex/enable") == 303
    assert post(client, "/users/rex/role", role="viewer") == 303
    with app.sessions() as s:
        user = s.scalars(select(User).where(User.name == "rex")).one()
    assert user.disabled_at is None and user.role == "viewer"
    assert post(client, "/users/rex/role", role="overlord") == 400
    assert post(client, "/users/ada/disable") == 400  # never yourself
    assert post(client, "/users/nobody/disable") == 400
    assert audited(app) == [("user.disable", "rex"), ("user.enable", "rex"), ("user.role", "rex")]


def test_a_token_is_shown_once_never_stored_works_and_is_revoked(
    app: App, client: TestClient
) -> None:
    add_user(app, "bot", role="responder")
    made = client.post("/users/bot/tokens", data={"csrf_token": client.csrf,  # type: ignore[attr-defined]
                                                  "label": "ci", "scope": "viewer",
                                                  "expires": "90d"})
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    found = re.search(r'id="token-secret">(cw_[^<]+)<', made.text)
    assert found
    secret = found.group(1)
    with app.sessions() as s:
        token = s.scalars(select(ApiToken)).one()
        stored = [str(v) for v in (token.token_hash, token.name, token.scope)]
    assert token.token_hash == digest(secret) and all(secret not in v for v in stored)
    assert secret not in client.get("/users").text
    assert "set-cookie" not in made.headers or secret not in made.headers["set-cookie"]
    api = web_client(app)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.get("/stories", headers=bearer).status_code == 200
    assert post(client, f"/tokens/{token.id}/revoke") == 303
    assert api.get("/stories", headers=bearer).status_code == 303  # to the login: no longer valid
    assert post(client, "/users/bot/tokens", scope="admin") == 400  # more than the user's role
    assert audited(app) == [("token.create", "bot"), ("token.revoke", "bot")]


def test_only_admins_manage_users(app: App, client: TestClient) -> None:
    add_user(app, "rex", role="responder")
    add_user(app, "vic", role="viewer")
    for name in ("rex", "vic"):
        other = web_client(app)
        token = log_in(other, name)
        assert other.get("/users").status_code == 403
        assert '<a href="/users">' not in other.get("/stories").text
        for url, data in (("/users", {"name": "z", "role": "admin", "password": PASSWORD}),
                          ("/users/vic/disable", {}), ("/users/rex/role", {"role": "admin"}),
                          ("/users/rex/tokens", {}), ("/tokens/1/revoke", {})):
            assert other.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    with app.sessions() as s:
        assert {u.role for u in s.scalars(select(User))} == {"admin", "responder", "viewer"}
        assert s.scalars(select(ApiToken)).first() is None
    assert audited(app) == []


def test_escaped_and_in_chinese(app: App, client: TestClient) -> None:
    post(client, "/users/ada/tokens", label="<b>x</b>")
    page = client.get("/users").text
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    client.cookies.set("cw_lang", "zh")
    assert "<h1>用户</h1>" in client.get("/users").text
