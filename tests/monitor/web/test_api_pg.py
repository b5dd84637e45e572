"""The API's queries on PostgreSQL: the example's run, then the queue's filters and counts,
stories, an action and a silence (skipped without CRISISWATCH_TEST_PG_URL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.loader import example_config_path, load_config
from monitor.app import open_app
from monitor.service.runner import run_once
from monitor.web.testing import add_user, api_token, web_client


def test_the_api_on_postgresql(tmp_path: Path, pg_url: str,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.db.engine import make_engine
    from monitor.db.migrate import upgrade

    monkeypatch.chdir(tmp_path)
    engine = make_engine(pg_url)
    upgrade(engine)
    engine.dispose()
    with open_app(load_config(example_config_path()), database=pg_url) as app:
        run_once(app)
        add_user(app, "rae", role="responder", person="li.na")
        api = web_client(app)
        api.headers["Authorization"] = f"Bearer {api_token(app, 'rae')}"
        page = api.get("/api/v1/incidents?state=active&grade=high&limit=2").json()
        assert page["total"] >= 3 and len(page["items"]) == 2 and page["next"]
        rest = api.get(page["next"]).json()
        assert not {i["id"] for i in rest["items"]} & {i["id"] for i in page["items"]}
        kids = api.get("/api/v1/incidents?entity=lumina-kids&category=product_safety").json()
        assert kids["total"] == len(kids["items"]) >= 1
        first = kids["items"][0]["id"]
        assert api.post(f"/api/v1/incidents/{first}/ack").json()["state"] == "acknowledged"
        assert api.get("/api/v1/incidents?state=acknowledged").json()["total"] == 1
        stories = api.get("/api/v1/stories?entity=lumina-kids&limit=1").json()
        assert stories["total"] >= 1 and stories["items"][0]["entities"]["lumina-kids"]
        story = api.get(f"/api/v1/stories/{stories['items'][0]['id']}").json()
        assert len(story["mentions"]) == story["mention_count"]
        made = api.post("/api/v1/silences", json={"source": "news-en", "duration": "2h",
                                                  "reason": "feed moved"})
        assert made.status_code == 201, made.text
        assert api.delete(f"/api/v1/silences/{made.json()['id']}").json()["active"] is False
