"""/sources: configured sources with fetch state and health as /healthz judges it, the inbox,
and the quarantined rows, escaped."""

from __future__ import annotations

import os
import shutil
import time
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update

from config.loader import example_config_path
from monitor.app import App
from monitor.db.models import QuarantinedRow, Source
from monitor.service.health import HealthProbe
from monitor.service.jobs import effective_interval

SCRIPT = "<script>alert('x')</script>"


def row_of(html: str, source_id: str) -> str:
    start = html.index(f">{source_id}</td>")
    return html[start:html.index("</tr>", start)]


def test_configured_sources_before_any_poll(client: TestClient) -> None:
    page = client.get("/sources")
    assert page.status_code == 200
    for source_id, kind, interval in (("news-en", "rss", "15m"), ("weibo-rss", "rss", "5m"),
                                      ("x-export", "export", "15m")):
        row = row_of(page.text, source_id)
        assert f"<td>{kind}</td>" in row and interval in row
        assert "never" in row and ">stale<" in row  # scheduled and never succeeded
    assert "Quarantined rows (0)" in page.text


def test_health_matches_the_healthz_probe(app: App, client: TestClient) -> None:
    for source in app.settings.sources:
        app.poll_source(source)
    now = app.incidents.clock()
    with app.sessions.begin() as s:
        s.execute(update(Source).where(Source.id == "weibo-rss").values(
            last_success_at=now - timedelta(hours=2)))
        s.execute(update(Source).where(Source.id == "x-export").values(
            consecutive_failures=3, last_error=f"bad file {SCRIPT}"))
    intervals = {s.id: effective_interval(s, app.settings.service) for s in app.settings.sources}
    probe = HealthProbe(app.sessions, app.incidents.clock, intervals)
    probe.refresh()
    page = client.get("/sources").text
    for source_id, health in probe.sources.items():
        row = row_of(page, source_id)
        assert (">stale<" in row) == health["stale"], source_id
        assert f"{health['consecutive_failures']}" in row
    assert probe.sources["weibo-rss"]["stale"] and not probe.sources["news-en"]["stale"]
    failing = row_of(page, "x-export")
    assert "bad file &lt;script&gt;" in failing and SCRIPT not in page


def test_inbox_files_and_quarantined_rows_are_shown_escaped(
    app: App, client: TestClient
) -> None:
    inbox = Path(app.settings.inbox.path)  # type: ignore[union-attr]
    inbox.mkdir(parents=True, exist_ok=True)
    sample = example_config_path().parent / "samples" / "exports" / "weibo_comments.csv"
    dropped = inbox / "weibo_comments.csv"
    shutil.copy(sample, dropped)
    old = time.time() - 60
    os.utime(dropped, (old, old))
    assert "<dt>Files waiting</dt><dd>1</dd>" in client.get("/sources").text
    assert app.poll_inbox()
    now = app.incidents.clock()
    with app.sessions.begin() as s:
        s.add(QuarantinedRow(source_id="inbox/weibo", location="exports/x.csv", line=7,
                             offset=None, error=f"no text column {SCRIPT}", excerpt=SCRIPT,
                             created_at=now, fingerprint="f1"))
    page = client.get("/sources").text
    assert '<td class="nowrap">inbox/weibo</td>' in page
    assert "<dt>Files waiting</dt><dd>0</dd>" in page
    assert "Quarantined rows (1)" in page
    assert "exports/x.csv:7" in page
    assert "no text column &lt;script&gt;" in page and SCRIPT not in page
    client.cookies.set("cw_lang", "zh")
    assert "隔离的记录（1 条）" in client.get("/sources").text
