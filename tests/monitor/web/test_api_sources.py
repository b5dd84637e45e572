"""/api/v1/sources: every source with its fetch state, and health judged as /healthz judges it
(``source_health``), secrets masked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from monitor.app import App
from monitor.db.models import Source
from monitor.web.testing import web_client


def test_sources_with_fetch_state_health_and_masked_errors(
    filled_app: App, bearer: Callable[..., dict[str, str]]
) -> None:
    app = filled_app
    now = app.incidents.clock()
    with app.sessions.begin() as session:
        news = session.get(Source, "news-en")
        assert news is not None
        news.last_success_at = now - timedelta(days=2)
        news.consecutive_failures = 3
        news.last_error = "GET https://bot:hunter22@feeds.example.com/x: 503"
        news.last_error_at = now - timedelta(minutes=5)
        weibo = session.get(Source, "weibo-rss")
        assert weibo is not None
        weibo.last_success_at = now - timedelta(minutes=1)
        weibo.consecutive_failures = 0
        # an inbox file's source: in the database only, polled by no schedule
        session.add(Source(id="inbox/weibo", kind="inbox", location="crisiswatch-data/inbox",
                           created_at=now, consecutive_failures=1, last_error="bad row 3"))
    client = web_client(app)
    client.headers.update(bearer("vic", role="viewer"))
    body = client.get("/api/v1/sources").json()
    found = {s["id"]: s for s in body["items"]}
    configured = [s.id for s in app.settings.sources]
    assert [s["id"] for s in body["items"]][:len(configured)] == configured
    assert body["total"] == len(found) == len(configured) + 1
    bad = found["news-en"]
    assert bad["stale"] is True and bad["consecutive_failures"] == 3
    assert "hunter22" not in bad["last_error"] and "503" in bad["last_error"]
    assert abs(bad["age_seconds"] - 2 * 86400) < 60 and bad["interval_seconds"] > 0
    good = found["weibo-rss"]
    assert good["stale"] is False and good["last_error"] is None and good["enabled"]
    inbox = body["items"][-1]
    assert (inbox["id"], inbox["configured"], inbox["enabled"]) == ("inbox/weibo", False, False)
    assert inbox["stale"] is False and inbox["interval_seconds"] is None
    assert inbox["last_error"] == "bad row 3" and inbox["kind"] == "inbox"
