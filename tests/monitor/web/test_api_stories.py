"""/api/v1/stories over the example's run: the list (since, entity, pages) and one story with
its mentions and incident."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from monitor.app import App
from monitor.web.testing import web_client


@pytest.fixture()
def app(filled_app: App) -> App:
    return filled_app


@pytest.fixture()
def api(app: App, bearer: Callable[..., dict[str, str]]) -> TestClient:
    client = web_client(app)
    client.headers.update(bearer("vic", role="viewer"))
    return client


def test_stories_latest_first_in_pages(api: TestClient) -> None:
    everything = api.get("/api/v1/stories?limit=200").json()
    seen = [s["last_seen_at"] for s in everything["items"]]
    assert everything["total"] == len(seen) > 7 and seen == sorted(seen, reverse=True)
    ids: list[int] = []
    url: str | None = "/api/v1/stories?limit=4"
    while url:
        page = api.get(url).json()
        ids += [s["id"] for s in page["items"]]
        url = page["next"]
    assert ids == [s["id"] for s in everything["items"]]


def test_filters_since_and_entity(api: TestClient) -> None:
    everything = api.get("/api/v1/stories?limit=200").json()["items"]
    middle = sorted(s["last_seen_at"] for s in everything)[len(everything) // 2]
    recent = api.get("/api/v1/stories", params={"since": middle, "limit": 200}).json()
    assert 0 < recent["total"] < len(everything)
    assert all(s["last_seen_at"] >= middle for s in recent["items"])
    ceo = api.get("/api/v1/stories?entity=chen-haoran").json()["items"]
    assert ceo and all("chen-haoran" in s["entities"] for s in ceo)
    naive = api.get("/api/v1/stories", params={"since": "2026-11-18T00:00:00"})
    assert naive.status_code == 422 and "since" in naive.json()["detail"]


def test_one_story_with_its_mentions_and_incident(api: TestClient) -> None:
    incident = api.get("/api/v1/incidents?category=product_safety").json()["items"][0]
    story = api.get(f"/api/v1/stories/{incident['story_id']}").json()
    assert story["incident_id"] == incident["id"]
    assert len(story["mentions"]) == story["mention_count"] > 1
    assert all(m["excerpt"] and m["source_id"] for m in story["mentions"])
    published = [m["published_at"] for m in story["mentions"]]
    assert published == sorted(published)


def test_an_unknown_story_is_a_404(api: TestClient) -> None:
    answer = api.get("/api/v1/stories/999")
    assert answer.status_code == 404 and answer.json() == {"detail": "no story #999"}
