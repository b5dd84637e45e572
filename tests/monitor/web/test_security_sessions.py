"""Console logins: sliding expiry on an injected clock, logout, cookie flags, and what ends a
login (a password change, disabling) or changes it at once (a role change)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from monitor.app import App
from monitor.users.accounts import set_disabled, set_role
from monitor.web.app import create_web_app
from monitor.web.testing import PASSWORD, add_user, log_in, web_client, with_web

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def _logged_out(response: Any) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_login_slides_past_each_use_and_ends_after_a_quiet_lifetime(app: App) -> None:
    add_user(app, "ada", role="viewer")
    now = [datetime.now(UTC)]  # after the user's creation (an older login would be refused)
    start = now[0]
    client = web_client(app, clock=lambda: now[0])
    log_in(client, "ada")
    assert app.settings.web.session_lifetime == timedelta(hours=12)
    for _ in range(3):  # 33 hours in all, never 12 quiet ones
        now[0] += timedelta(hours=11)
        assert client.get("/account").status_code == 200
    now[0] += timedelta(hours=12)
    gone = client.get("/account")
    assert _logged_out(gone) and gone.headers["location"] == "/login?next=/account"
    now[0] = start + timedelta(hours=33, minutes=1)  # a late request cannot revive it
    assert _logged_out(client.get("/account"))


def test_logout_ends_the_login_on_the_server(client: TestClient) -> None:
    cookie = client.cookies["cw_session"]
    done = client.post("/logout", data={"csrf_token": client.csrf})  # type: ignore[attr-defined]
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert "cw_session" not in client.cookies
    client.cookies.set("cw_session", cookie)  # the old cookie, kept by someone: useless
    assert _logged_out(client.get("/account"))


def _set_cookies(app: App, base_url: str) -> dict[str, str]:
    """Set-Cookie headers of a login over ``base_url``, by cookie name."""
    plain = TestClient(create_web_app(app=app), base_url=base_url, follow_redirects=False)
    form = plain.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    done = plain.post("/login", data={"name": "ada", "password": PASSWORD, "login_csrf": token},
                      headers={"cookie": f"cw_login_csrf={token}"})
    assert done.status_code == 303, done.text
    headers = form.headers.get_list("set-cookie") + done.headers.get_list("set-cookie")
    return {h.split("=", 1)[0]: h.lower() for h in headers if "=;" not in h and '=""' not in h}


@pytest.mark.parametrize(("base_url", "mode", "secure"), [
    ("https://testserver", "auto", True),
    ("https://127.0.0.1", "auto", True),
    ("http://cw.example.com", "auto", True),
    ("http://192.168.1.20:8765", "auto", True),
    ("http://127.0.0.1:8765", "auto", False),
    ("http://localhost:8765", "auto", False),
    ("http://127.0.0.1:8765", "always", True),
    ("https://cw.example.com", "never", False),
])
def test_cookie_flags(app: App, base_url: str, mode: str, secure: bool) -> None:
    add_user(with_web(app, secure_cookies=mode), "ada")
    cookies = _set_cookies(app, base_url)
    assert set(cookies) == {"cw_login_csrf", "cw_session"}
    for header in cookies.values():
        assert "httponly" in header and "samesite=lax" in header and "path=/" in header
        assert ("; secure" in header) is secure, header
    # no Max-Age or Expires: the server slides the login, the browser must not cut it short
    assert "max-age" not in cookies["cw_session"] and "expires" not in cookies["cw_session"]


def test_the_login_page_warns_when_the_browser_would_drop_the_cookie(app: App) -> None:
    over_http = TestClient(create_web_app(app=app), base_url="http://cw.example.com")
    assert "will not keep the login cookie" in over_http.get("/login").text
    local = TestClient(create_web_app(app=app), base_url="http://127.0.0.1:8765")
    assert "will not keep the login cookie" not in local.get("/login").text
    assert "will not keep" not in web_client(app).get("/login").text


def test_a_password_change_ends_this_and_every_other_login(app: App) -> None:
    add_user(app, "ada")
    here, elsewhere = web_client(app), web_client(app)
    csrf = log_in(here, "ada")
    log_in(elsewhere, "ada")
    weak = here.post("/account/password", data={"csrf_token": csrf, "current_password": PASSWORD,
                                                 "new_password": "short"})
    assert weak.status_code == 303 and weak.headers["location"] == "/account"
    assert "too short" in here.get("/account").text  # the flash; still logged in
    done = here.post("/account/password", data={
        "csrf_token": csrf, "new_password": "a new long one", "current_password": PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert _logged_out(here.get("/account")) and _logged_out(elsewhere.get("/account"))
    log_in(here, "ada", password="a new long one")


def test_wrong_current_passwords_count_against_the_login_limit(app: App) -> None:
    add_user(app, "ada")
    client = web_client(app)
    csrf = log_in(client, "ada")
    for _ in range(app.settings.web.login_attempts):
        wrong = client.post("/account/password", data={
            "csrf_token": csrf, "current_password": "not it at all", "new_password": "x" * 12})
        assert wrong.headers["location"] == "/account"
    assert "The current password is wrong." in client.get("/account").text
    limited = client.post("/account/password", data={
        "csrf_token": csrf, "current_password": PASSWORD, "new_password": "x" * 12})
    assert limited.headers["location"] == "/account"
    assert "Too many wrong passwords" in client.get("/account").text
    log_in(web_client(app), "ada")  # the password did not change


def test_disabling_ends_a_login_and_a_role_change_applies_at_once(app: App) -> None:
    add_user(app, "ada", role="admin")
    add_user(app, "bob", role="admin")
    ada, bob = web_client(app), web_client(app)
    log_in(ada, "ada")
    log_in(bob, "bob")
    assert ada.get("/audit").status_code == 200
    with app.sessions.begin() as s:
        set_role(s, name="ada", role_name="responder")
        set_disabled(s, name="bob", disabled=True, now=T0)
    assert ada.get("/audit").status_code == 403
    assert _logged_out(bob.get("/account"))
