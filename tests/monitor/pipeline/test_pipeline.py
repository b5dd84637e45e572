"""Ingestion end to end: example sources, idempotency, quarantine, failures keep what is in."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from monitor.app import App, open_app
from monitor.db.models import IngestRun, Mention, MentionEntity, QuarantinedRow, Source
from monitor.pipeline.collect import FileSpec, ingest_file

BASE = """\
version: 1
organisation: {name: Acme}
entities:
  - {id: acme, name: Acme, kind: brand, aliases: [Acme, 艾克美]}
"""


def count(app: App, model: type) -> int:
    with app.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_example_poll_collects_every_source_once(example_app: App) -> None:
    results = [example_app.poll_source(s) for s in example_app.settings.sources]
    assert all(r.error is None for r in results), [r.error for r in results]
    assert all(r.new > 0 for r in results)
    assert sum(r.unmatched for r in results) >= 3  # the bakery, the weather, the football
    stored = count(example_app, Mention)
    assert stored == sum(r.new for r in results)
    with example_app.sessions() as s:
        entities = set(s.scalars(select(MentionEntity.entity_id)))
        langs = set(s.scalars(select(Mention.lang)))
        trad = s.scalars(select(Mention).where(Mention.text.contains("瀾沐"))).one()
    assert {"lumina", "lumina-kids", "chen-haoran", "northfield", "sunvale"} <= entities
    assert {"zh", "en"} <= langs
    assert "lumina" in trad.entities  # Traditional text matched the Simplified alias
    again = [example_app.poll_source(s) for s in example_app.settings.sources]
    assert sum(r.new for r in again) == 0
    assert count(example_app, Mention) == stored


def test_same_file_twice_adds_nothing_and_force_dedupes(tmp_path: Path, make_config: Any) -> None:
    data = tmp_path / "x.csv"
    data.write_text("id,text\n1,Acme is great\n2,Acme is slow\n3,nothing here\n", encoding="utf-8")
    cfg = make_config(BASE)
    with open_app(cfg, database=f"sqlite:///{tmp_path / 'db.sqlite'}") as app:
        first = ingest_file(app.pipeline, source_id="f", spec=FileSpec(path=data))
        assert (first.seen, first.new, first.unmatched) == (3, 2, 1)
        second = ingest_file(app.pipeline, source_id="f", spec=FileSpec(path=data))
        assert second.skipped_unchanged and second.new == 0
        forced = ingest_file(app.pipeline, source_id="f", spec=FileSpec(path=data), force=True)
        assert (forced.new, forced.duplicate) == (0, 2)
        assert count(app, Mention) == 2


def test_bad_rows_are_quarantined_with_line_and_the_rest_kept(
    tmp_path: Path, make_config: Any
) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text(
        '{"id": 1, "text": "Acme one"}\n{"id": 2, "text": "Acme two"\n'
        '{"id": 3, "text": "Acme 3"}\n',
        encoding="utf-8",
    )
    cfg = make_config(BASE)
    with open_app(cfg, database=f"sqlite:///{tmp_path / 'db.sqlite'}") as app:
        stats = ingest_file(app.pipeline, source_id="j", spec=FileSpec(path=data))
        assert (stats.new, stats.rejected) == (2, 1)
        with app.sessions() as s:
            row = s.scalars(select(QuarantinedRow)).one()
            run = s.get(IngestRun, stats.run_id)
        assert row.line == 2 and "line 2" in row.error and str(data) in row.location
        assert '"Acme two"' in row.excerpt
        assert run is not None and run.status == "ok" and run.rejected == 1


def test_exact_copies_point_at_the_original(tmp_path: Path, make_config: Any) -> None:
    data = tmp_path / "copies.csv"
    data.write_text("id,text\n1,Acme recall!\n2,Acme   RECALL!\n3,Acme recall!\n", encoding="utf-8")
    cfg = make_config(BASE)
    with open_app(cfg, database=f"sqlite:///{tmp_path / 'db.sqlite'}") as app:
        ingest_file(app.pipeline, source_id="c", spec=FileSpec(path=data))
        with app.sessions() as s:
            rows = s.scalars(select(Mention).order_by(Mention.id)).all()
    assert [r.duplicate_of for r in rows] == [None, rows[0].id, rows[0].id]


class _Handler(BaseHTTPRequestHandler):
    mode = "ok"

    def do_GET(self) -> None:  # noqa: N802
        if type(self).mode == "ok":
            body = (
                b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                b"<item><guid>a</guid><title>Acme recall</title><description>Acme recalls milk"
                b"</description></item></channel></rss>"
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
        else:
            body = b"oops"
            self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def feed_server() -> object:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_failing_feed_records_error_and_keeps_accepted_mentions(
    tmp_path: Path, feed_server: ThreadingHTTPServer, make_config: Any
) -> None:
    url = f"http://127.0.0.1:{feed_server.server_address[1]}/feed.xml"
    cfg = make_config(BASE + f"sources:\n  - {{id: feed, kind: rss, url: '{url}'}}\n")
    with open_app(cfg, database=f"sqlite:///{tmp_path / 'db.sqlite'}") as app:
        source = app.settings.sources[0]
        _Handler.mode = "ok"
        assert app.poll_source(source).new == 1
        _Handler.mode = "500"
        try:
            failed = app.poll_source(source)
            failed_again = app.poll_source(source)
        finally:
            _Handler.mode = "ok"
        assert failed.error and "500" in failed.error
        with app.sessions() as s:
            row = s.get(Source, "feed")
        assert row is not None and row.consecutive_failures == 2 and "500" in (row.last_error or "")
        assert failed_again.new == 0 and count(app, Mention) == 1
        assert app.poll_source(source).error is None
        with app.sessions() as s:
            assert s.get(Source, "feed").consecutive_failures == 0  # type: ignore[union-attr]


def test_inbox_file_is_ingested_once_then_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_config: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = make_config(BASE + "inbox: {path: inbox, settle: 0s}\n")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "drop.csv").write_text("id,text\n1,Acme drop\n", encoding="utf-8")
    (inbox / "broken.xlsx").write_bytes(b"not a zip")
    with open_app(cfg, database=f"sqlite:///{tmp_path / 'db.sqlite'}") as app:
        done = {p.name: s for p, s in app.poll_inbox()}
        assert done["drop.csv"].new == 1
        assert done["broken.xlsx"].error
        assert (inbox / "processed" / "drop.csv").is_file()
        assert (inbox / "failed" / "broken.xlsx").is_file()
        assert (inbox / "failed" / "broken.xlsx.reason.txt").read_text().strip()
        assert app.poll_inbox() == []


def test_postgresql_ingest_is_idempotent(tmp_path: Path, pg_url: str, make_config: Any) -> None:
    data = tmp_path / "x.csv"
    data.write_text("id,text\n1,Acme is great\n2,艾克美 不错\n3,nothing\n1,Acme is great\n",
                    encoding="utf-8")
    cfg = make_config(BASE)
    from monitor.db.engine import make_engine
    from monitor.db.migrate import upgrade

    engine = make_engine(pg_url)
    upgrade(engine)
    engine.dispose()
    with open_app(cfg, database=pg_url) as app:
        first = ingest_file(app.pipeline, source_id="pg", spec=FileSpec(path=data))
        assert (first.new, first.duplicate, first.unmatched) == (2, 1, 1)
        forced = ingest_file(app.pipeline, source_id="pg", spec=FileSpec(path=data), force=True)
        assert forced.new == 0
        assert count(app, Mention) == 2


def test_an_unexpected_storage_error_fails_the_run_and_the_source_then_propagates(
    tmp_path: Path, make_config: Any
) -> None:
    """Not bad input (a broken model file, say): the run must not stay 'running' for ever."""
    import dataclasses

    data = tmp_path / "ok.csv"
    data.write_text("id,text\n1,Acme recall!\n", encoding="utf-8")

    def broken(session: Any, *, mentions: Any, now: Any) -> None:
        raise RuntimeError("model file truncated")

    with open_app(make_config(BASE), database=f"sqlite:///{tmp_path / 'db.sqlite'}") as app:
        pipeline = dataclasses.replace(app.pipeline, steps=(broken,))
        with pytest.raises(RuntimeError, match="model file truncated"):
            ingest_file(pipeline, source_id="m", spec=FileSpec(path=data))
        with app.sessions() as s:
            run = s.scalars(select(IngestRun)).one()
            source = s.get(Source, "m")
            assert run.status == "failed" and "RuntimeError: model file truncated" in run.error
            assert source is not None and source.consecutive_failures == 1
            assert s.scalars(select(Mention)).all() == []  # the batch was rolled back whole
        stats = ingest_file(app.pipeline, source_id="m", spec=FileSpec(path=data))
        assert stats.new == 1  # fixed: the file is read again from the start


def test_the_batch_steps_see_what_was_stored_without_reading_it_back(example_app: App) -> None:
    """Steps get the new mentions in memory; they match the stored rows column for column."""
    import dataclasses

    from monitor.incidents.loading import load_scored, scored_mentions
    from playbooks import grade_rank

    seen: list[Any] = []

    def record(session: Any, *, mentions: Any, now: Any) -> None:
        seen.extend(mentions)

    app = example_app
    app.pipeline = dataclasses.replace(app.pipeline, steps=(*app.pipeline.steps, record))
    for source in app.settings.sources:
        app.poll_source(source)
    assert seen and len({m.id for m in seen}) == len(seen) == count(app, Mention)
    now = app.pipeline.clock()
    ctx = app.incidents
    with app.sessions() as s:
        stored = {m.id: m for m in load_scored(s, ctx=ctx, mention_ids=[m.id for m in seen],
                                               now=now)}
        rows = {m.id: m for m in s.scalars(select(Mention))}
    memory = {m.id: m for m in scored_mentions(seen, ctx=ctx, now=now)}
    assert memory.keys() == stored.keys() == rows.keys()
    for mid, mine in memory.items():
        theirs = stored[mid]
        for name in ("source_id", "author", "author_reach", "at", "lang", "url", "duplicate_of",
                     "entities", "sentiment", "category", "grade", "likelihood", "impact"):
            assert getattr(mine, name) == getattr(theirs, name), (mid, name)
        assert mine.text.startswith(theirs.text[:900])
        if grade_rank(theirs.grade) >= grade_rank(ctx.rules.floor):
            # details are decoded only for mentions that can open incidents
            assert mine.negative_prob == pytest.approx(theirs.negative_prob, abs=1e-4)
            assert mine.categories == theirs.categories and mine.reasons == theirs.reasons
        assert rows[mid].scored_at is not None and rows[mid].grade == mine.grade
