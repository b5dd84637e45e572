"""Test helpers (public, like structlog's): a logged-in client of the real application.

    client = web_client(app)                  # starlette TestClient over create_web_app(app)
    add_user(app, "ada", role="admin")        # password: PASSWORD
    csrf = log_in(client, "ada")              # the login's CSRF token, for form posts
    client.post("/incidents/1/ack", data={"csrf_token": csrf})
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from config.loader import LoadedConfig
from monitor.app import App
from monitor.users.accounts import add_user as _add_user
from monitor.users.tokens import create_token
from monitor.web.app import create_web_app

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')


def web_client(app: App, *, clock: Callable[[], datetime] | None = None) -> TestClient:
    """A client of the console and API over ``app`` (requests go to https://testserver, so
    Secure cookies are sent)."""
    return TestClient(create_web_app(app=app, clock=clock), base_url="https://testserver",
                      follow_redirects=False)


def with_web(app: App, **changes: Any) -> App:
    """``app`` with its ``web:`` settings changed (port, secure_cookies, ...), in place."""
    settings = app.settings
    app.config = LoadedConfig(
        settings.model_copy(update={"web": settings.web.model_copy(update=changes)}),
        app.config.path)
    return app


def add_user(app: App, name: str, *, role: str = "responder", person: str | None = None,
             password: str = PASSWORD) -> None:
    """A user of ``app``'s database."""
    with app.sessions.begin() as session:
        _add_user(session, name=name, password=password, role_name=role, person=person,
                  by="test", now=app.incidents.clock())


def api_token(app: App, user: str, *, scope: str | None = None) -> str:
    """A new API token of ``user`` (scope: the user's role by default)."""
    from monitor.users.accounts import get_user

    with app.sessions.begin() as session:
        found = get_user(session, user)
        _, secret = create_token(session, user_name=user, name="test", scope=scope or found.role,
                                 now=app.incidents.clock(), expires_at=None)
    return secret


def log_in(client: TestClient, name: str, *, password: str = PASSWORD) -> str:
    """Log ``client`` in as ``name``; the login's CSRF token (AssertionError if refused)."""
    form = client.get("/login")
    token = _LOGIN_CSRF.search(form.text)
    assert token, "no login form"
    answer = client.post("/login", data={"name": name, "password": password,
                                         "login_csrf": token.group(1), "next": "/account"})
    assert answer.status_code == 303, f"login refused: {answer.status_code} {answer.text[:200]}"
    return csrf_token(client)


def csrf_token(client: TestClient) -> str:
    """The CSRF token of the client's login (read from a page's logout form)."""
    page = client.get("/account")
    found = _CSRF.search(page.text)
    assert found, "not logged in"
    return found.group(1)


def browser_log_in(page: Any, name: str, password: str = PASSWORD) -> None:
    """Log a Playwright ``page`` in through the form, as a person would."""
    page.goto("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
