"""/api/v1/mentions over the real application: filters, pages, one mention, labels, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.app import App
from monitor.db.models import AuditEntry, Label
from monitor.incidents.testing import add_scored_mention, open_test_incident
from monitor.web.testing import add_user, api_token, web_client

T0 = datetime(2026, 11, 17, 17, 30, tzinfo=UTC)  # 2026-11-18 01:30 in Shanghai
ZH = "網傳澜沐奶粉导致婴儿过敏，要求召回！"


@pytest.fixture()
def seeded(app: App) -> dict[str, int]:
    with app.sessions.begin() as session:
        ids = {
            "zh": add_scored_mention(session, text=ZH, at=T0, lang="zh",
                                     entities=("lumina-kids",), source_id="weibo-export",
                                     category="product_safety", grade="high", negative=0.9),
            "en": add_scored_mention(session, text="Lumina recalls batch LK-2611",
                                     at=T0 - timedelta(days=1), entities=("lumina",),
                                     source_id="news-en", negative=0.3, sentiment="neutral"),
            "old": add_scored_mention(session, text="Lumina yoghurt is lovely",
                                      at=T0 - timedelta(days=3), entities=("lumina",),
                                      source_id="x-export", negative=0.02),
        }
        ids["incident"] = open_test_incident(session, ctx=app.incidents, now=T0,
                                             text="Lumina formula contaminated",
                                             entities=("lumina-kids",))
    return ids


def _bearer(app: App, name: str, role: str) -> TestClient:
    add_user(app, name, role=role)
    client = web_client(app)
    client.headers["Authorization"] = f"Bearer {api_token(app, name)}"
    return client


@pytest.fixture()
def responder(app: App) -> TestClient:
    return _bearer(app, "rita", "responder")


def test_search_returns_a_page_with_scores_and_incident_links(
    responder: TestClient, seeded: dict[str, int],
) -> None:
    body = responder.get("/api/v1/mentions", params={"limit": 2}).json()
    assert body["total"] == 4 and body["limit"] == 2 and body["offset"] == 0
    assert len(body["items"]) == 2
    assert "offset=2" in body["next"] and "limit=2" in body["next"]
    newest = body["items"][1]
    assert newest["id"] == seeded["zh"] and newest["text"] == ZH
    assert newest["grade"] == "high" and newest["category"] == "product_safety"
    assert newest["sentiment"] == "negative" and newest["sentiment_probs"]["negative"] == 0.9
    assert newest["entities"] == ["lumina-kids"] and newest["incident_id"] is None
    assert body["items"][0]["incident_id"] == seeded["incident"]
    last = responder.get(body["next"]).json()
    assert [m["id"] for m in last["items"]] == [seeded["en"], seeded["old"]]
    assert last["next"] is None


@pytest.mark.parametrize(("params", "expected"), [
    ({"q": "奶粉导致"}, ["zh"]),
    ({"q": "recalls"}, ["en"]),
    ({"entity": "lumina", "source": "x-export"}, ["old"]),
    ({"sentiment": "neutral"}, ["en"]),
    ({"grade": "high", "category": "product_safety"}, ["zh"]),
    ({"from": "2026-11-17", "to": "2026-11-17"}, ["en"]),
    ({"intent": "enquiry"}, []),
])
def test_search_filters(
    responder: TestClient, seeded: dict[str, int], params: dict[str, str], expected: list[str],
) -> None:
    body = responder.get("/api/v1/mentions", params=params).json()
    assert [m["id"] for m in body["items"]] == [seeded[name] for name in expected]
    assert body["total"] == len(expected)


def test_one_mention_with_its_reasons_and_labels(
    responder: TestClient, seeded: dict[str, int],
) -> None:
    created = responder.post(f"/api/v1/mentions/{seeded['zh']}/labels",
                             json={"kind": "sentiment", "value": "neutral"})
    assert created.status_code == 201
    label = created.json()
    assert label["mention_id"] == seeded["zh"] and label["kind"] == "sentiment"
    assert label["value"] == "neutral" and label["created_by"] == "web:rita"
    body = responder.get(f"/api/v1/mentions/{seeded['zh']}").json()
    assert body["id"] == seeded["zh"] and body["reasons"]
    assert body["categories"][0]["category"] == "product_safety"
    assert [(lab["kind"], lab["value"]) for lab in body["labels"]] == [("sentiment", "neutral")]


def test_a_label_is_stored_audited_and_takes_the_mention_off_the_queue(
    app: App, responder: TestClient, seeded: dict[str, int],
) -> None:
    created = responder.post(f"/api/v1/mentions/{seeded['zh']}/labels",
                             json={"kind": "intent", "value": "complaint"})
    assert created.status_code == 201
    with app.sessions() as session:
        stored = session.scalars(select(Label)).one()
        audit = session.scalars(select(AuditEntry)
                                .where(AuditEntry.action == "mention.label")).one()
    assert (stored.mention_id, stored.kind, stored.value, stored.text, stored.lang) == (
        seeded["zh"], "intent", "complaint", ZH, "zh")
    assert (audit.actor, audit.via, audit.target) == ("rita", "api", f"mention #{seeded['zh']}")
    from monitor.review.queue import review_queue

    with app.sessions() as session:
        assert seeded["zh"] not in [m.id for m in review_queue(session, limit=50).mentions]


@pytest.mark.parametrize(("body", "status", "detail"), [
    ({"kind": "sentiment", "value": "furious"}, 400,
     "sentiment 'furious' is not one of: positive, neutral, negative"),
    ({"kind": "mood", "value": "x"}, 400,
     "unknown label kind 'mood' (one of: sentiment, category, intent)"),
    ({"kind": "category", "value": "gossip"}, 400, "category 'gossip' is not one of: "),
    ({"kind": "sentiment"}, 422, "value: Field required"),
])
def test_bad_labels_are_4xx_with_one_line(
    app: App, responder: TestClient, seeded: dict[str, int], body: dict[str, str], status: int,
    detail: str,
) -> None:
    answer = responder.post(f"/api/v1/mentions/{seeded['zh']}/labels", json=body)
    assert answer.status_code == status
    assert detail in answer.json()["detail"] and "\n" not in answer.json()["detail"]
    with app.sessions() as session:
        assert session.scalars(select(Label)).all() == []


def test_a_missing_mention_is_404(responder: TestClient) -> None:
    for answer in (responder.get("/api/v1/mentions/999"),
                   responder.post("/api/v1/mentions/999/labels",
                                  json={"kind": "sentiment", "value": "neutral"})):
        assert answer.status_code == 404
        assert answer.json() == {"detail": "mention 999 not found"}


def test_a_bad_date_or_limit_is_422(responder: TestClient) -> None:
    for params in ({"from": "yesterday"}, {"limit": 0}, {"offset": -1}):
        answer = responder.get("/api/v1/mentions", params=params)
        assert answer.status_code == 422, params
        assert answer.json()["detail"]


def test_a_viewer_token_reads_but_cannot_label(app: App, seeded: dict[str, int]) -> None:
    viewer = _bearer(app, "vic", "viewer")
    assert viewer.get("/api/v1/mentions").status_code == 200
    answer = viewer.post(f"/api/v1/mentions/{seeded['zh']}/labels",
                         json={"kind": "sentiment", "value": "neutral"})
    assert answer.status_code == 403
    assert answer.json() == {"detail": "forbidden: needs the responder role"}
    with app.sessions() as session:
        assert session.scalars(select(Label)).all() == []


def test_without_a_token_it_is_401(app: App) -> None:
    assert web_client(app).get("/api/v1/mentions").status_code == 401


def test_the_openapi_description_documents_the_routes(responder: TestClient) -> None:
    spec = responder.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    assert {"/api/v1/mentions", "/api/v1/mentions/{mention_id}",
            "/api/v1/mentions/{mention_id}/labels"} <= set(paths)
    search = {p["name"]: p for p in paths["/api/v1/mentions"]["get"]["parameters"]}
    assert {"q", "entity", "source", "sentiment", "category", "intent", "grade", "from", "to",
            "limit", "offset"} <= set(search)
    assert "Chinese" in search["q"]["description"]
    post = paths["/api/v1/mentions/{mention_id}/labels"]["post"]
    assert {"201", "400", "401", "403", "404"} <= set(post["responses"])
    schemas = spec["components"]["schemas"]
    assert schemas["MentionOut"]["properties"]["grade"]["description"]
    assert schemas["LabelIn"]["properties"]["kind"]["description"]


def test_a_capped_count_says_so_in_the_api_and_the_page(
    responder: TestClient, client: TestClient, seeded: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import monitor.search.mentions as search

    monkeypatch.setattr(search, "COUNT_CAP", 2)
    body = responder.get("/api/v1/mentions", params={"limit": 1}).json()
    assert (body["total"], body["capped"]) == (2, True) and body["next"]
    page = client.get("/mentions", params={"limit": 1}).text
    assert "2+ mentions match." in page and "1–1 of 2+" in page
