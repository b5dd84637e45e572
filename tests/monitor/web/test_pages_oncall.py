"""/oncall: each schedule's answer from monitor.oncall, the coming week's overrides and swaps,
the override form (the CLI's library call, audited) and the page without schedules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from config.loader import LoadedConfig
from monitor.app import App, open_app
from monitor.db.models import AuditEntry, OncallOverride
from monitor.oncall.lookup import on_call, organisation_rota
from monitor.oncall.rotation import shifts
from monitor.oncall.store import add_swap
from monitor.web.testing import add_user, log_in, web_client


def test_each_schedule_says_who_now_until_when_and_who_next(app: App, client: TestClient) -> None:
    page = client.get("/oncall")
    assert page.status_code == 200
    now = app.incidents.clock()
    with app.sessions() as s:
        for schedule in ("risk-primary", "risk-secondary"):
            answer = on_call(session=s, roster=app.roster, settings=app.settings,
                             schedule_id=schedule, at=now)
            assert answer.shift is not None and answer.next is not None
            assert f"({answer.shift.person})" in page.text
            assert f"({answer.next.person})" in page.text
    assert "Risk primary" in page.text and "Risk secondary" in page.text
    client.cookies.set("cw_lang", "zh")
    assert "当前值班" in client.get("/oncall").text


def test_an_override_from_the_form_is_stored_shown_and_audited(
    app: App, client: TestClient
) -> None:
    answer = client.post("/oncall/override", data={
        "csrf_token": client.csrf, "schedule": "risk-secondary",  # type: ignore[attr-defined]
        "person": "zhang.min", "start": "", "end": "8h", "reason": "covering <b>Tom</b>"})
    assert answer.status_code == 303
    with app.sessions() as s:
        row = s.scalars(select(OncallOverride)).one()
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "oncall.override")).one()
    assert (row.person_id, row.created_by) == ("zhang.min", "li.na")
    assert row.ends_at - row.starts_at == timedelta(hours=8)
    assert entry.actor == "ada" and entry.target == f"override #{row.id}"
    page = client.get("/oncall").text
    assert f"override #{row.id}" in page
    assert "covering &lt;b&gt;Tom&lt;/b&gt;" in page and "<b>Tom</b>" not in page
    # the override is who is on call now
    assert "张敏</strong> (zhang.min) · override" in page


def test_a_refused_override_says_why(app: App, client: TestClient) -> None:
    answer = client.post("/oncall/override", data={
        "csrf_token": client.csrf, "schedule": "risk-primary",  # type: ignore[attr-defined]
        "person": "nobody.here", "end": "8h"})
    assert answer.status_code == 303
    assert "unknown person" in client.get("/oncall").text
    bad_time = client.post("/oncall/override", data={
        "csrf_token": client.csrf, "schedule": "risk-primary",  # type: ignore[attr-defined]
        "person": "li.na", "end": "soonish"})
    assert bad_time.status_code == 303
    assert "expected a duration" in client.get("/oncall").text
    with app.sessions() as s:
        assert s.scalars(select(OncallOverride)).first() is None


def test_swaps_of_the_coming_week_are_listed(app: App, client: TestClient) -> None:
    now = app.incidents.clock()
    rota = organisation_rota(app.settings, app.roster, "risk-secondary")
    upcoming = [s for s in shifts(rota, start=now, end=now + timedelta(days=14))
                if s.start > now][0]
    other = "li.na" if upcoming.person != "li.na" else "zhang.min"
    with app.sessions.begin() as s:
        add_swap(s, roster=app.roster, rota=rota, person=upcoming.person, taken_by=other,
                 shift_start=upcoming.start, reason="", by="li.na", now=now,
                 zone=app.settings.organisation.timezone)
    page = client.get("/oncall").text
    assert f"{other} takes {upcoming.person}" in page


def test_viewers_cannot_add_and_unlinked_accounts_are_told(app: App) -> None:
    add_user(app, "vic", role="viewer")
    add_user(app, "rex", role="responder")  # no person
    viewer = web_client(app)
    token = log_in(viewer, "vic")
    page = viewer.get("/oncall")
    assert page.status_code == 200 and 'action="/oncall/override"' not in page.text
    refused = viewer.post("/oncall/override", data={"csrf_token": token,
                                                    "schedule": "risk-primary",
                                                    "person": "li.na", "end": "1h"})
    assert refused.status_code == 403
    responder = web_client(app)
    token = log_in(responder, "rex")
    assert 'action="/oncall/override"' not in responder.get("/oncall").text
    answer = responder.post("/oncall/override", data={"csrf_token": token,
                                                      "schedule": "risk-primary",
                                                      "person": "li.na", "end": "1h"})
    assert answer.status_code == 303
    assert "not linked to a configured person" in responder.get("/oncall").text


def test_without_schedules_the_page_says_how_to_configure_them(
    tmp_path: Path, make_config: Callable[[str], LoadedConfig]
) -> None:
    config = make_config("version: 1\norganisation: {name: Acme}\nentities:\n"
                         "  - {id: acme, name: Acme, kind: brand}\n")
    with open_app(config, database=f"sqlite:///{tmp_path / 'db.sqlite'}") as bare:
        add_user(bare, "ada", role="admin")
        c = web_client(bare)
        log_in(c, "ada")
        page = c.get("/oncall")
    assert page.status_code == 200
    assert "No on-call schedules are configured." in page.text
    assert "docs/oncall.md" in page.text
