"""The audit log page: admins only, newest first, filtered, and outside text escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from monitor.app import App
from monitor.users.audit import record
from monitor.web.testing import add_user, log_in, web_client

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def _rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td>(.*?)</td>", row, re.S) for row in body.split("<tr>")[1:]]


def test_only_admins_read_the_audit_log(app: App) -> None:
    for name, role in [("vic", "viewer"), ("rob", "responder")]:
        add_user(app, name, role=role)
        client = web_client(app)
        log_in(client, name)
        refused = client.get("/audit")
        assert refused.status_code == 403 and "Your role cannot do this." in refused.text
        assert 'href="/audit"' not in client.get("/account").text  # not in the navigation


def test_entries_newest_first_with_filters(client: TestClient, app: App) -> None:
    with app.sessions.begin() as s:
        for minutes, actor, action in [(1, "wang.wei", "incident.ack"),
                                       (2, "cli:root", "user.add"),
                                       (3, "wang.wei", "incident.resolve")]:
            record(s, actor=actor, action=action, now=T0 + timedelta(minutes=minutes), via="cli",
                   target="incident 4", detail={"note": "ok"}, address="10.1.2.3")
    page = client.get("/audit")
    assert page.status_code == 200
    actions = [row[2] for row in _rows(page.text)]
    # newest written first: ada's login (written before these back-dated entries) is last
    assert actions == ["incident.resolve", "user.add", "incident.ack", "login"]
    first = _rows(page.text)[0]
    assert first[0] == "2026-12-07 09:03 UTC+8" and first[1] == "wang.wei"
    assert first[5:] == ["10.1.2.3", "cli"]
    by_actor = [row[2] for row in _rows(client.get("/audit?actor=wang.wei").text)]
    assert by_actor == ["incident.resolve", "incident.ack"]
    by_both = _rows(client.get("/audit?actor=wang.wei&action=incident.ack").text)
    assert [row[2] for row in by_both] == ["incident.ack"]
    paged = _rows(client.get("/audit?limit=2&offset=2").text)
    assert [row[2] for row in paged] == ["incident.ack", "login"]


def test_outside_text_in_the_log_is_escaped(client: TestClient, app: App) -> None:
    anonymous = web_client(app)
    form = anonymous.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    anonymous.post("/login", data={"name": "<script>alert(1)</script>", "password": "x" * 10,
                                   "login_csrf": token})
    page = client.get("/audit?action=login.failed").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
