"""/api/v1/incidents over the example's seven incidents: the queue's filters, order and pages,
one incident in full, and every action with its role, audit entry and errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from monitor.app import App
from monitor.users.audit import audit_page
from monitor.web.testing import web_client
from playbooks import grade_rank

Bearer = Callable[..., dict[str, str]]


@pytest.fixture()
def app(filled_app: App) -> App:
    return filled_app


@pytest.fixture()
def api(app: App, bearer: Bearer) -> TestClient:
    """A client sending a responder's token (the account acts as the person li.na)."""
    client = web_client(app)
    client.headers.update(bearer("rae", person="li.na"))
    return client


def queue(api: TestClient, **params: Any) -> dict[str, Any]:
    answer = api.get("/api/v1/incidents", params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_queue_needs_a_login(app: App) -> None:
    answer = web_client(app).get("/api/v1/incidents")
    assert answer.status_code == 401
    assert answer.json()["detail"].startswith("not authenticated")


def test_the_queue_lists_the_most_severe_first_then_the_latest_activity(api: TestClient) -> None:
    body = queue(api)
    items = body["items"]
    assert body["total"] == len(items) == 7 and body["next"] is None
    keys = [(-grade_rank(i["grade"]), i["last_seen_at"]) for i in items]
    assert [k[0] for k in keys] == sorted(k[0] for k in keys)
    for (rank, seen), (next_rank, next_seen) in zip(keys, keys[1:], strict=False):
        assert rank < next_rank or seen >= next_seen
    first = items[0]
    assert first["state"] == "open" and first["entity_name"] and first["story_id"]


def test_the_queue_filters_by_state_grade_entity_and_category(api: TestClient) -> None:
    assert queue(api, state="active")["total"] == 7
    assert queue(api, state="acknowledged")["total"] == 0
    assert queue(api, state="closed")["total"] == 0
    high = queue(api, grade="high")["items"]
    assert high and all(grade_rank(i["peak_grade"]) >= grade_rank("high") for i in high)
    assert len(high) < 7
    kids = queue(api, entity="lumina-kids")["items"]
    assert kids and {i["entity"] for i in kids} == {"lumina-kids"}
    safety = queue(api, category="product_safety")["items"]
    assert safety and {i["category"] for i in safety} == {"product_safety"}
    assert queue(api, entity="nobody")["items"] == []


@pytest.mark.parametrize("params", [{"state": "sleeping"}, {"grade": "dire"}, {"limit": 0},
                                    {"limit": 201}, {"offset": -1}])
def test_a_bad_filter_is_a_422_with_one_line(api: TestClient, params: dict[str, Any]) -> None:
    answer = api.get("/api/v1/incidents", params=params)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and detail


def test_next_links_walk_the_whole_queue_keeping_the_filters(api: TestClient) -> None:
    everything = [i["id"] for i in queue(api, state="active")["items"]]
    seen: list[int] = []
    url: str | None = "/api/v1/incidents?state=active&limit=3"
    pages = 0
    while url:
        body = api.get(url).json()
        assert body["total"] == 7 and body["limit"] == 3
        seen += [i["id"] for i in body["items"]]
        url = body["next"]
        assert url is None or "state=active" in url
        pages += 1
    assert pages == 3 and seen == everything


def test_one_incident_in_full(api: TestClient, app: App) -> None:
    incident_id = queue(api, category="product_safety")["items"][0]["id"]
    detail = api.get(f"/api/v1/incidents/{incident_id}").json()
    assert detail["id"] == incident_id and 1 <= detail["likelihood"] <= 5
    assert any(r.startswith("likelihood") for r in detail["reasons"])
    assert any(r.startswith("impact") for r in detail["reasons"])
    assert detail["timeline"][0]["kind"] == "opened"
    assert detail["playbook_name"] and detail["checklist"] and detail["scripts"]
    assert detail["sla_due"]["acknowledge_by"] < detail["sla_due"]["first_response_by"]
    assert detail["top_mentions"] and all(m["excerpt"] for m in detail["top_mentions"])
    story = api.get(f"/api/v1/stories/{detail['story_id']}").json()
    assert story["incident_id"] == incident_id
    assert {m["id"] for m in detail["top_mentions"]} <= {m["id"] for m in story["mentions"]}


def test_an_unknown_incident_is_a_404(api: TestClient) -> None:
    for answer in (api.get("/api/v1/incidents/999"),
                   api.post("/api/v1/incidents/999/ack", json={})):
        assert answer.status_code == 404
        assert answer.json() == {"detail": "no incident #999"}


def test_ack_stops_escalation_as_the_linked_person_and_is_audited(
    api: TestClient, app: App
) -> None:
    answer = api.post("/api/v1/incidents/3/ack", json={"note": "on it"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["state"] == "acknowledged" and body["acknowledged_by"] == "li.na"
    assert body["sla_due"]["acknowledge_by"] is None
    assert body["timeline"][-1]["kind"] == "acknowledged"
    with app.sessions() as session:
        entry = audit_page(session, action="incident.ack").entries[0]
    assert (entry.actor, entry.via, entry.target) == ("rae", "api", "incident #3")
    assert entry.detail == {"note": "on it"}
    again = api.post("/api/v1/incidents/3/ack")
    assert again.status_code == 409 and "acknowledged" in again.json()["detail"]


def test_resolve_reopen_and_false_positive(api: TestClient) -> None:
    assert api.post("/api/v1/incidents/2/resolve", json={}).status_code == 422
    assert api.post("/api/v1/incidents/2/resolve", json={"note": ""}).status_code == 422
    resolved = api.post("/api/v1/incidents/2/resolve", json={"note": "statement out"}).json()
    assert resolved["state"] == "resolved" and resolved["resolution_note"] == "statement out"
    assert api.post("/api/v1/incidents/2/resolve", json={"note": "x"}).status_code == 409
    assert api.post("/api/v1/incidents/2/reopen", json={"note": "back"}).json()["state"] == "open"
    closed = api.post("/api/v1/incidents/2/false-positive", json={"note": "satire"}).json()
    assert closed["state"] == "false_positive"
    assert queue(api, state="closed")["total"] == 1


def test_respond_records_the_public_response(api: TestClient) -> None:
    detail = api.get("/api/v1/incidents/3").json()
    script = detail["scripts"][0]["id"]
    answer = api.post("/api/v1/incidents/3/respond",
                      json={"note": "holding statement on Weibo", "script": script})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["responded_by"] == "li.na" and body["sla_due"]["first_response_by"] is None
    refused = api.post("/api/v1/incidents/3/respond", json={"note": "x", "script": "nope"})
    assert refused.status_code == 409 and "nope" in refused.json()["detail"]


def test_escalate_sends_the_next_step_of_a_running_playbook(api: TestClient) -> None:
    # the samples are older than the alert window: nothing escalates until a reopen restarts
    # the playbook
    refused = api.post("/api/v1/incidents/3/escalate")
    assert refused.status_code == 409
    assert refused.json()["detail"] == ("cannot escalate incident #3: no escalation is running "
                                        "(it was never started)")
    api.post("/api/v1/incidents/3/resolve", json={"note": "done"})
    reopened = api.post("/api/v1/incidents/3/reopen").json()
    assert reopened["escalation"] is not None
    answer = api.post("/api/v1/incidents/3/escalate")
    assert answer.status_code == 200, answer.text
    kinds = [e["kind"] for e in answer.json()["timeline"]]
    assert "escalation_requested" in kinds[kinds.index("reopened"):]


def test_merge_moves_the_other_incident_in(api: TestClient) -> None:
    kids = [i["id"] for i in queue(api, entity="lumina-kids")["items"]]
    into, other = kids[0], kids[1]
    before = api.get(f"/api/v1/incidents/{into}").json()["mentions"]
    answer = api.post(f"/api/v1/incidents/{into}/merge", json={"other": other})
    assert answer.status_code == 200, answer.text
    assert answer.json()["mentions"] > before
    gone = api.get(f"/api/v1/incidents/{other}").json()
    assert gone["state"] == "merged" and gone["merged_into"] == into
    assert api.post(f"/api/v1/incidents/{into}/merge", json={"other": into}).status_code == 409
    assert api.post(f"/api/v1/incidents/{into}/merge", json={"other": "x"}).status_code == 422


def test_a_viewer_may_read_but_not_act(app: App, bearer: Bearer) -> None:
    client = web_client(app)
    client.headers.update(bearer("vic", role="viewer"))
    assert client.get("/api/v1/incidents/3").status_code == 200
    answer = client.post("/api/v1/incidents/3/ack")
    assert answer.status_code == 403
    assert answer.json() == {"detail": "forbidden: needs the responder role"}
    assert client.get("/api/v1/incidents/3").json()["state"] == "open"


def test_a_browser_login_must_send_its_csrf_token(client: TestClient) -> None:
    assert client.post("/api/v1/incidents/3/ack").status_code == 403
    answer = client.post("/api/v1/incidents/3/ack",
                         headers={"X-CSRF-Token": client.csrf})  # type: ignore[attr-defined]
    assert answer.status_code == 200 and answer.json()["acknowledged_by"] == "li.na"
