"""Logging in: the rate limit per account and per address (429 with Retry-After, even with
the right password, until the window passes; audited), and no open redirect after a login."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.app import App
from monitor.db.models import AuditEntry
from monitor.web.testing import PASSWORD, add_user, web_client


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)  # after the users' creation

    def __call__(self) -> datetime:
        return self.now


def _try(client: TestClient, name: str, password: str, next_url: str = "/account") -> object:
    form = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    return client.post("/login", data={"name": name, "password": password, "login_csrf": token,
                                       "next": next_url})


def _audited(app: App) -> list[tuple[str, str]]:
    with app.sessions() as s:
        rows = s.execute(select(AuditEntry.action, AuditEntry.actor)
                         .order_by(AuditEntry.id)).all()
    return [(action, actor) for action, actor in rows]


def test_an_account_is_limited_after_its_failures_until_the_window_passes(app: App) -> None:
    add_user(app, "ada")
    clock = Clock()
    client = web_client(app, clock=clock)
    attempts = app.settings.web.login_attempts
    assert (attempts, app.settings.web.login_window) == (5, timedelta(minutes=15))
    for _ in range(attempts):
        clock.now += timedelta(minutes=1)
        failed = _try(client, "ada", "not the password")
        assert failed.status_code == 401 and "Wrong user name or password." in failed.text  # type: ignore[attr-defined]
    limited = _try(client, "ada", PASSWORD)
    assert limited.status_code == 429 and "cw_session" not in client.cookies  # type: ignore[attr-defined]
    # the first failure (1 min in) leaves the window at 16 min; it is 5 min in now
    assert limited.headers["retry-after"] == "661"  # type: ignore[attr-defined]
    assert "Too many failed logins: try again in 661 s." in limited.text  # type: ignore[attr-defined]
    clock.now += timedelta(seconds=659)
    assert _try(client, "ada", PASSWORD).status_code == 429  # type: ignore[attr-defined]
    clock.now += timedelta(seconds=1)
    assert _try(client, "ada", PASSWORD).status_code == 303  # type: ignore[attr-defined]
    assert _audited(app) == [("login.failed", "ada")] * 5 + [("login.limited", "ada")] * 2 + [
        ("login", "ada")]


def test_an_address_is_limited_across_accounts(app: App) -> None:
    add_user(app, "ada")
    clock = Clock()
    client = web_client(app, clock=clock)
    for n in range(5):
        assert _try(client, f"guess{n}", "password123").status_code == 401  # type: ignore[attr-defined]
    limited = _try(client, "ada", PASSWORD)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 800  # type: ignore[attr-defined]
    with app.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "login.limited")).one()
    assert entry.actor == "ada" and entry.address == "testclient" and entry.via == "web"
    clock.now += timedelta(minutes=15)
    assert _try(client, "ada", PASSWORD).status_code == 303  # type: ignore[attr-defined]


def test_a_good_login_clears_the_accounts_failures_and_names_are_case_blind(app: App) -> None:
    add_user(app, "ada")
    client = web_client(app, clock=Clock())
    for _ in range(4):
        _try(client, "ada", "not the password")
    assert _try(client, " ADA ", PASSWORD).status_code == 303  # type: ignore[attr-defined]


@pytest.mark.parametrize("evil", [
    "https://evil.example/", "//evil.example/", "/\\evil.example/", "/\t/evil.example/",
    "javascript:alert(1)", "http:/evil.example", "evil.example", "",
])
def test_no_open_redirect_after_logging_in(app: App, evil: str) -> None:
    add_user(app, "ada")
    client = web_client(app)
    page = client.get("/login", params={"next": evil})
    assert 'name="next" value="/incidents"' in page.text
    done = _try(client, "ada", PASSWORD, next_url=evil)
    assert done.headers["location"] == "/incidents"  # type: ignore[attr-defined]
    # logged in already, the login page sends on too, and as safely
    assert client.get("/login", params={"next": evil}).headers["location"] == "/incidents"
    assert client.get("/lang/zh", params={"next": evil}).headers["location"] == "/incidents"


def test_a_local_next_is_kept(app: App) -> None:
    add_user(app, "ada")
    client = web_client(app)
    asked = client.get("/audit?actor=ada")
    assert asked.headers["location"] == "/login?next=/audit%3Factor%3Dada"
    done = _try(client, "ada", PASSWORD, next_url="/audit?actor=ada")
    assert done.headers["location"] == "/audit?actor=ada"  # type: ignore[attr-defined]


def test_the_login_page_switches_language_without_a_login(app: App) -> None:
    client = web_client(app)
    page = client.get("/login?next=/audit")
    assert 'href="/login?lang=zh&amp;next=%2Faudit"' in page.text
    switched = client.get("/login?lang=zh&next=/audit")
    assert switched.headers["location"] == "/login?next=/audit"
    assert "用户名" in client.get("/login?next=/audit").text
    assert client.get("/login?lang=xx").headers["location"] == "/login?next=/incidents"
