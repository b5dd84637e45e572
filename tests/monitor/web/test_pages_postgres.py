"""The stories, sources, silences and users pages on PostgreSQL (skips without
CRISISWATCH_TEST_PG_URL): the library queries they call are portable."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from config.loader import example_config_path, load_config
from monitor.app import open_app
from monitor.db.models import Silence
from monitor.web.testing import add_user, log_in, web_client


def test_pages_answer_on_postgresql(tmp_path: Path, pg_url: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.db.engine import make_engine
    from monitor.db.migrate import upgrade

    monkeypatch.chdir(tmp_path)
    engine = make_engine(pg_url)
    upgrade(engine)
    engine.dispose()
    with open_app(load_config(example_config_path()), database=pg_url) as app:
        for source in app.settings.sources:
            app.poll_source(source)
        add_user(app, "ada", role="admin", person="li.na")
        client = web_client(app)
        csrf = log_in(client, "ada")
        listed = client.get("/stories?entity=lumina-kids&since=2026-11-01&limit=2")
        assert listed.status_code == 200 and "1–2 of" in listed.text
        for url in ("/stories/1", "/sources", "/silences", "/oncall", "/reports", "/users"):
            assert client.get(url).status_code == 200, url
        assert client.post("/silences", data={"csrf_token": csrf, "source": "weibo-rss",
                                              "until": "1h", "reason": "noise"}).status_code == 303
        with app.sessions() as s:
            silence = s.scalars(select(Silence)).one()
        assert client.post(f"/silences/{silence.id}/expire",
                           data={"csrf_token": csrf}).status_code == 303
        assert "No silence is in force." in client.get("/silences").text
