"""The incident page's buttons: each calls its action, is audited and comes back with a
message; a refusal is one line on the page; viewers and forged posts are refused."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.app import App
from monitor.db.models import AuditEntry, Incident, IncidentEvent
from monitor.web.testing import add_user, log_in, web_client

from .test_incident_page import opened


def post(client: TestClient, path: str, **data: str) -> Any:
    return client.post(path, data={"csrf_token": client.csrf, **data})  # type: ignore[attr-defined]


def incident(app: App, incident_id: int) -> Incident:
    with app.sessions() as session:
        found = session.get(Incident, incident_id)
        assert found is not None
        return found


def audit(app: App) -> list[tuple[str, str, str | None, dict[str, Any]]]:
    with app.sessions() as session:
        return [(e.actor, e.action, e.target, e.detail) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("incident.%"))
            .order_by(AuditEntry.id))]


def flash(client: TestClient, answer: Any) -> str:
    """The message the redirect carries, as the page shows it."""
    assert answer.status_code == 303, answer.text[:300]
    page = client.get(answer.headers["location"])
    text = page.text.split('<p class="flash" role="status">')[1].split("</p>")[0]
    return str(text)


@pytest.mark.parametrize(
    ("path", "data", "state", "action", "message"),
    [
        ("ack", {"note": "I lead"}, "acknowledged", "incident.ack",
         "Incident #1 acknowledged: escalation stopped."),
        ("escalate", {}, "open", "incident.escalate", "Incident #1 escalated now."),
        ("respond", {"note": "statement on Weibo", "script": "general.update.en"}, "open",
         "incident.respond", "Public response to incident #1 recorded."),
        ("resolve", {"note": "batch cleared by the lab"}, "resolved", "incident.resolve",
         "Incident #1 resolved."),
        ("false-positive", {"note": ""}, "false_positive", "incident.false_positive",
         "Incident #1 closed as a false positive."),
    ],
)
def test_each_action_changes_the_incident_and_is_audited(
        app: App, client: TestClient, path: str, data: dict[str, str], state: str, action: str,
        message: str) -> None:
    incident_id = opened(app)
    answer = post(client, f"/incidents/{incident_id}/{path}", **data)
    assert answer.headers["location"] == f"/incidents/{incident_id}"
    assert flash(client, answer).startswith(message)
    assert incident(app, incident_id).state == state
    [(actor, done, target, _)] = audit(app)
    assert (actor, done, target) == ("ada", action, "incident #1")


def test_acting_shows_who_and_queued_alerts(app: App, client: TestClient) -> None:
    incident_id = opened(app)
    answer = post(client, f"/incidents/{incident_id}/escalate")
    assert "alert(s) queued" in flash(client, answer)
    post(client, f"/incidents/{incident_id}/respond", note="posted the holding line",
         script="general.update.en")
    found = incident(app, incident_id)
    assert found.responded_by == "li.na"  # ada acts as the configured person li.na
    with app.sessions() as session:
        detail = session.scalars(select(IncidentEvent.detail).where(
            IncidentEvent.kind == "responded")).one()
    assert detail["script"] == "general.update.en"


def test_reopen_and_merge(app: App, client: TestClient) -> None:
    first, second = opened(app), opened(app, text="Acme formula recall demanded by parents")
    post(client, f"/incidents/{first}/resolve", note="done")
    assert 'action="/incidents/1/reopen"' in client.get(f"/incidents/{first}").text
    assert flash(client, post(client, f"/incidents/{first}/reopen")).startswith(
        "Incident #1 reopened")
    assert incident(app, first).state == "open"
    answer = post(client, f"/incidents/{second}/merge", into="#1")
    assert answer.headers["location"] == "/incidents/1"
    assert flash(client, answer) == "Incident #2 merged into #1."
    assert incident(app, second).state == "merged" and incident(app, second).merged_into == 1
    assert [a[1] for a in audit(app)] == ["incident.resolve", "incident.reopen",
                                          "incident.merge"]
    merged_page = client.get(f"/incidents/{second}").text
    assert 'href="/incidents/1"' in merged_page and 'action="/incidents/2/merge"' not in merged_page


@pytest.mark.parametrize(
    ("path", "data", "status", "message"),
    [
        ("ack", {}, 409, "cannot acknowledge incident #1: it is acknowledged by li.na"),
        ("resolve", {"note": " "}, 409, "a note is required"),
        ("respond", {"note": "x", "script": "nope"}, 409, "--script: no script &#39;nope&#39;"),
        ("merge", {"into": "abc"}, 400, "Give the number of the incident to merge into."),
        ("merge", {"into": "77"}, 404, "no incident #77"),
        ("merge", {"into": "1"}, 409, "an incident cannot be merged into itself"),
        ("reopen", {}, 409, "cannot reopen"),
    ],
)
def test_a_refusal_is_one_line_on_the_page(
        app: App, client: TestClient, path: str, data: dict[str, str], status: int,
        message: str) -> None:
    incident_id = opened(app)
    post(client, f"/incidents/{incident_id}/ack")
    before = audit(app)
    answer = post(client, f"/incidents/{incident_id}/{path}", **data)
    assert answer.status_code == status
    error = answer.text.split('<p class="error" role="alert">')[1].split("</p>")[0]
    assert message in error and "\n" not in error
    assert "<h1>" in answer.text and "Risk matrix" in answer.text  # the page, not a bare error
    assert audit(app) == before and incident(app, incident_id).state == "acknowledged"


def test_a_script_that_is_not_usable_is_refused(app: App, client: TestClient) -> None:
    held = next(s for s in app.incidents.scripts if s.id == "general.holding.en")
    app.incidents = dataclasses.replace(app.incidents, scripts=tuple(
        dataclasses.replace(s, text=s.text + " edited") if s.id == held.id else s
        for s in app.incidents.scripts))
    incident_id = opened(app)
    answer = post(client, f"/incidents/{incident_id}/respond", note="posted",
                  script="general.holding.en")
    assert answer.status_code == 409
    assert "may not be used: text changed after the" in answer.text
    assert incident(app, incident_id).responded_at is None


def test_a_viewer_may_look_but_not_act(app: App) -> None:
    incident_id = opened(app)
    add_user(app, "vic", role="viewer")
    viewer = web_client(app)
    token = log_in(viewer, "vic")
    assert viewer.get(f"/incidents/{incident_id}").status_code == 200
    for path in ("ack", "escalate", "resolve", "checklist"):
        answer = viewer.post(f"/incidents/{incident_id}/{path}",
                             data={"csrf_token": token, "note": "x"})
        assert answer.status_code == 403, path
    assert incident(app, incident_id).state == "open" and audit(app) == []


def test_a_post_without_the_csrf_token_is_refused(app: App, client: TestClient) -> None:
    incident_id = opened(app)
    for data in ({}, {"csrf_token": "forged"}):
        answer = client.post(f"/incidents/{incident_id}/ack", data=data)
        assert answer.status_code == 403 and "CSRF" in answer.text
    assert incident(app, incident_id).state == "open" and audit(app) == []


def test_checklist_ticks_persist_show_on_the_timeline_and_are_audited(
        app: App, client: TestClient) -> None:
    incident_id = opened(app)
    html = client.get(f"/incidents/{incident_id}").text
    second = html.split('name="key" value="')[2].split('"')[0]
    answer = post(client, f"/incidents/{incident_id}/checklist", key=second, done="1")
    assert flash(client, answer) == "Checklist item marked done."
    html = client.get(f"/incidents/{incident_id}").text
    assert html.count('aria-pressed="true"') == 1 and "done by li.na" in html
    assert "checklist: ticked item 2: risk lead: Name the person responsible" in html
    timeline = client.get(f"/incidents/{incident_id}/timeline").text
    assert "ticked item 2" in timeline and "<html" not in timeline
    again = post(client, f"/incidents/{incident_id}/checklist", key=second, done="1")
    assert again.status_code == 409 and "is already done by li.na" in again.text
    post(client, f"/incidents/{incident_id}/checklist", key=second, done="0")
    html = client.get(f"/incidents/{incident_id}").text
    assert 'aria-pressed="true"' not in html and "unticked item 2" in html
    assert [(a[1], a[3]) for a in audit(app)] == [
        ("incident.checklist", {"item": 2, "done": True}),
        ("incident.checklist", {"item": 2, "done": False}),
    ]


def test_acting_on_an_unknown_incident_is_a_404(client: TestClient) -> None:
    answer = post(client, "/incidents/99/ack")
    assert answer.status_code == 404 and "no incident #99" in answer.text
