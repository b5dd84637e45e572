"""/api/v1/silences: create as ``crisiswatch silence add`` takes it, list active or all, expire
(DELETE or POST), each change audited and reserved to responders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from monitor.app import App
from monitor.users.audit import audit_page
from monitor.web.testing import web_client

Bearer = Callable[..., dict[str, str]]


@pytest.fixture()
def api(app: App, bearer: Bearer) -> TestClient:
    client = web_client(app)
    client.headers.update(bearer("rae", person="li.na"))
    return client


def add(api: TestClient, **body: Any) -> Any:
    return api.post("/api/v1/silences", json=body)


def test_create_for_a_duration_lists_it_and_audits_it(api: TestClient, app: App) -> None:
    now = app.incidents.clock()
    answer = add(api, entity="lumina", category="customer_complaint", duration="4h",
                 comment="known outage, fixed tonight")
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["active"] and made["created_by"] == "li.na"
    assert made["reason"] == "known outage, fixed tonight"
    until = datetime.fromisoformat(made["until"])
    assert abs(until - (now + timedelta(hours=4))) < timedelta(minutes=1)
    listed = api.get("/api/v1/silences").json()
    assert [s["id"] for s in listed["items"]] == [made["id"]] and listed["total"] == 1
    with app.sessions() as session:
        entry = audit_page(session, action="silence.add").entries[0]
    assert (entry.actor, entry.target, entry.via) == ("rae", f"silence #{made['id']}", "api")
    assert entry.detail["entity"] == "lumina" and entry.detail["reason"].startswith("known")


def test_until_is_read_in_the_organisation_zone_unless_it_has_an_offset(
    api: TestClient, app: App
) -> None:
    ahead = (app.incidents.clock() + timedelta(days=2)).astimezone()
    local = ahead.replace(tzinfo=None).isoformat(timespec="minutes")
    made = add(api, source="news-en", until=f"{local}+00:00", reason="r").json()
    assert datetime.fromisoformat(made["until"]) == datetime.fromisoformat(f"{local}+00:00")
    zoned = add(api, source="news-en", until=local, reason="r").json()
    # the example organisation is in Asia/Shanghai (UTC+8)
    assert datetime.fromisoformat(zoned["until"]) == datetime.fromisoformat(f"{local}+08:00")


@pytest.mark.parametrize(("body", "says"), [
    ({"entity": "lumina", "reason": "r"}, "either duration or until"),
    ({"entity": "lumina", "duration": "4h", "until": "2030-01-01", "reason": "r"}, "either"),
    ({"duration": "4h", "reason": "r"}, "at least one of entity"),
    ({"entity": "lumina", "duration": "4h"}, "reason"),
    ({"entity": "lumina", "duration": "soon", "reason": "r"}, "duration: expected"),
    ({"entity": "lumina", "until": "2020-01-01T00:00:00Z", "reason": "r"}, "future"),
    ({"entity": "nobody", "duration": "4h", "reason": "r"}, "unknown entity 'nobody'"),
    ({"category": "gossip", "duration": "4h", "reason": "r"}, "unknown category"),
    ({"source": "nowhere", "duration": "4h", "reason": "r"}, "unknown source 'nowhere'"),
])
def test_a_bad_silence_is_a_422_saying_why(api: TestClient, body: dict[str, Any],
                                          says: str) -> None:
    answer = api.post("/api/v1/silences", json=body)
    assert answer.status_code == 422
    assert says in answer.json()["detail"]
    assert api.get("/api/v1/silences?state=all").json()["total"] == 0


@pytest.mark.parametrize("how", ["delete", "post"])
def test_expire_ends_it_now_keeps_it_on_record_and_audits_it(
    api: TestClient, app: App, how: str
) -> None:
    made = add(api, entity="lumina", duration="1d", reason="noise").json()
    url = f"/api/v1/silences/{made['id']}"
    answer = api.delete(url) if how == "delete" else api.post(f"{url}/expire")
    assert answer.status_code == 200, answer.text
    assert answer.json()["active"] is False
    assert api.get("/api/v1/silences").json()["items"] == []
    assert [s["id"] for s in api.get("/api/v1/silences?state=all").json()["items"]] == [made["id"]]
    with app.sessions() as session:
        assert audit_page(session, action="silence.expire").entries[0].target == (
            f"silence #{made['id']}")
    again = api.delete(url)
    assert again.status_code == 409 and "already ended" in again.json()["detail"]
    assert api.delete("/api/v1/silences/999").json() == {"detail": "no silence #999"}


def test_a_viewer_sees_silences_but_cannot_change_them(api: TestClient, app: App,
                                                       bearer: Bearer) -> None:
    made = add(api, entity="lumina", duration="1d", reason="noise").json()
    viewer = web_client(app)
    viewer.headers.update(bearer("vic", role="viewer"))
    assert viewer.get("/api/v1/silences").json()["total"] == 1
    assert add(viewer, entity="lumina", duration="1d", reason="x").status_code == 403
    assert viewer.delete(f"/api/v1/silences/{made['id']}").status_code == 403
    assert api.get("/api/v1/silences").json()["items"][0]["active"] is True


def test_pages_of_silences(api: TestClient) -> None:
    for hours in (3, 1, 2):
        add(api, entity="lumina", duration=f"{hours}h", reason=f"{hours}")
    first = api.get("/api/v1/silences?limit=2").json()
    assert [s["reason"] for s in first["items"]] == ["1", "2"]
    rest = api.get(first["next"]).json()
    assert [s["reason"] for s in rest["items"]] == ["3"] and rest["next"] is None
