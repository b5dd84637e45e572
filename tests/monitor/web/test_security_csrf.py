"""CSRF: a change made with a login cookie needs the login's token (form field or header);
API tokens need none; and in a real browser, a page of another origin cannot make the
console act for a logged-in user."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.app import App
from monitor.db.models import AuditEntry
from monitor.users.accounts import set_role
from monitor.web.app import create_web_app
from monitor.web.auth import Principal, require
from monitor.web.testing import add_user, api_token, browser_log_in, log_in

# stand-ins for the responders' actions other modules add: closed like every route
probe = APIRouter()


@probe.post("/api/v1/probe")
def api_probe(who: Principal = require("responder")) -> dict[str, str]:
    return {"done_by": who.user, "via": who.via}


@probe.post("/probe")
def page_probe(who: Principal = require("responder")) -> dict[str, str]:
    return {"done_by": who.user}


@pytest.fixture()
def client(app: App) -> TestClient:
    add_user(app, "ada", role="responder")
    api = create_web_app(app=app)
    api.include_router(probe)
    c = TestClient(api, base_url="https://testserver", follow_redirects=False)
    c.csrf = log_in(c, "ada")  # type: ignore[attr-defined]
    return c


def _still_logged_in(client: TestClient) -> bool:
    return client.get("/account").status_code == 200


@pytest.mark.parametrize("form", [{}, {"csrf_token": ""}, {"csrf_token": "guess"},
                                  {"csrf_token": "é" * 43}, {"csrf_token_": "x"}])
def test_a_form_without_the_logins_token_is_refused(client: TestClient,
                                                    form: dict[str, str]) -> None:
    refused = client.post("/logout", data=form)
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert client.post("/probe", data=form).status_code == 403
    assert _still_logged_in(client)


def test_json_and_other_bodies_need_the_header(client: TestClient) -> None:
    token: str = client.csrf  # type: ignore[attr-defined]
    for headers, body in [({}, {}), ({"x-csrf-token": "guess"}, {}),
                          ({"x-csrf-token": b"\xe9"}, {}), ({}, {"csrf_token": token})]:
        refused = client.post("/api/v1/probe", json=body, headers=headers)
        assert refused.status_code == 403, headers
        assert refused.json() == {"detail": "CSRF token missing or wrong"}
    # a form encoding browsers send cross-site without asking, but whose body is never read
    plain = client.post("/probe", content=f"csrf_token={token}",
                        headers={"content-type": "text/plain"})
    assert plain.status_code == 403
    done = client.post("/api/v1/probe", json={}, headers={"x-csrf-token": token})
    assert done.status_code == 200 and done.json() == {"done_by": "ada", "via": "web"}
    assert client.post("/probe", data={"csrf_token": token}).status_code == 200
    done = client.post("/logout", data={"csrf_token": token})
    assert done.status_code == 303 and not _still_logged_in(client)


def test_the_login_form_has_its_own_token(app: App) -> None:
    add_user(app, "ada")
    fresh = TestClient(create_web_app(app=app), base_url="https://testserver",
                       follow_redirects=False)
    forged = fresh.post("/login", data={"name": "ada", "password": "correct horse battery",
                                        "login_csrf": "guess"})
    assert forged.status_code == 403 and "cw_session" not in fresh.cookies


def test_api_tokens_need_no_csrf_token_and_follow_the_users_role(client: TestClient,
                                                                  app: App) -> None:
    secret = api_token(app, "ada")
    bearer = {"authorization": f"Bearer {secret}"}
    anonymous = TestClient(client.app, base_url="https://testserver")
    done = anonymous.post("/api/v1/probe", headers=bearer)
    assert done.status_code == 200 and done.json() == {"done_by": "ada", "via": "api"}
    with app.sessions.begin() as s:
        set_role(s, name="ada", role_name="viewer")
    demoted = anonymous.post("/api/v1/probe", headers=bearer)
    assert demoted.status_code == 403
    assert demoted.json() == {"detail": "forbidden: needs the responder role"}
    assert anonymous.get("/account", headers=bearer).status_code == 200  # still reads
    # and the login cookie of the same user is demoted alike
    assert client.post("/probe", data={"csrf_token": client.csrf}).status_code == 403  # type: ignore[attr-defined]


# --- a real browser ----------------------------------------------------------------------

_FORGED = """<!doctype html><title>win a prize</title>
<form id="f" method="post" action="{action}">
<input name="csrf_token" value="guessed"><input name="new_password" value="pwned by evil!">
<input name="current_password" value="unknown"></form>
<script>document.getElementById("f").submit()</script>"""


@pytest.fixture()
def evil_site(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """Another web site (another port, so another origin) serving ``tmp_path/evil``."""
    folder = tmp_path / "evil"
    folder.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("host", "same_site"), [("localhost", False), ("127.0.0.1", True)])
@pytest.mark.parametrize("target", ["/logout", "/account/password"])
def test_a_page_of_another_origin_cannot_act_for_a_logged_in_browser(
    app: App, page: Any, live_url: str, evil_site: tuple[Path, int], host: str, same_site: bool,
    target: str,
) -> None:
    add_user(app, "ada", role="admin")
    browser_log_in(page, "ada")
    folder, port = evil_site
    (folder / "index.html").write_text(_FORGED.format(action=f"{live_url}{target}"))
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith(target)) as sent:
        page.goto(f"http://{host}:{port}/index.html")
    page.wait_for_load_state()
    cookies = sent.value.all_headers().get("cookie", "")
    if same_site:
        # another port is another origin but the same site: the cookie goes along, and the
        # token check refuses
        assert "cw_session=" in cookies
        page.wait_for_selector("text=missing or wrong CSRF token")
    else:
        # another site: SameSite=Lax keeps the login cookie off a cross-site POST
        assert "cw_session=" not in cookies
    page.goto("/account")
    assert page.locator("h1").inner_text() == "Your account"  # not logged out
    with app.sessions() as s:
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.actor == "ada")).all()
    assert actions == ["login"]  # no logout, no password change
