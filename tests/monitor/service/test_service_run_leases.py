"""Ingest runs are leased to the service instance running them: when the instance dies, its
runs are marked interrupted once their lease runs out (a file's is then resumed)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from monitor.app import build_app
from monitor.db.models import IngestRun, Mention
from monitor.pipeline.collect import FileSpec, ingest_file
from monitor.pipeline.ingest import RunLease, interrupt_lapsed_runs, renew_runs, start_run
from monitor.pipeline.store import NewMention, ensure_source
from monitor.service.work import Work, WorkQueue

LEASE = timedelta(seconds=60)


class Killed(BaseException):
    """The process dying mid-ingest: nothing after it runs, not even the run's failure record."""


def _status(app: Any, run_id: int) -> tuple[str, str | None, bool]:
    with app.sessions() as s:
        run = s.get(IngestRun, run_id)
        return run.status, run.error, run.finished_at is not None


def test_a_dead_instances_runs_are_interrupted_once_their_lease_runs_out(
    tmp_path: Path, write_config: Any, shift_clock: Any, rss_doc: Any
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss_doc([("g1", "Acme one")]))
    app = build_app(
        write_config(f"sources:\n  - {{id: feed, kind: rss, url: {feed}}}\n"), clock=shift_clock
    )
    try:
        with app.sessions.begin() as s:
            ensure_source(s, source_id="feed", kind="rss", location=str(feed), now=shift_clock())
            killed = start_run(
                s, source_id="feed", now=shift_clock(), lease=RunLease("dead", LEASE)
            ).id
            working = start_run(
                s, source_id="feed", now=shift_clock(), lease=RunLease("alive", LEASE)
            ).id
        # the live instance renews its runs with its work; the dead one renews nothing
        queue = WorkQueue(
            app.sessions,
            owner="alive",
            lease=LEASE,
            clock=shift_clock,
            renew_also=lambda s, until: renew_runs(s, owner="alive", until=until),
        )
        queue.enqueue([Work("poll:feed", "poll:feed")])
        item = queue.claim()
        assert item is not None
        shift_clock.advance(seconds=45)
        assert queue.renew([item.id]) == {item.id}
        [source] = app.settings.sources
        app.poll_source(source)
        assert _status(app, killed)[0] == "running"  # not lapsed yet
        shift_clock.advance(seconds=30)
        app.poll_source(source)
        status, error, finished = _status(app, killed)
        assert status == "interrupted" and finished and "lease" in (error or "")
        assert _status(app, working) == ("running", None, False)
    finally:
        app.close()


def test_an_interrupted_file_run_is_resumed_where_it_stopped(
    tmp_path: Path, write_config: Any, shift_clock: Any
) -> None:
    data = tmp_path / "x.csv"
    data.write_text("id,text\n" + "".join(f"{i},Acme {i}\n" for i in range(1, 7)), "utf-8")
    app = build_app(write_config(""), clock=shift_clock)
    try:
        batches: list[int] = []

        def die_on_second_batch(
            session: Session, *, mentions: Sequence[NewMention], now: datetime
        ) -> None:
            batches.append(len(mentions))
            if len(batches) == 2:
                raise Killed

        leased = dataclasses.replace(
            app.pipeline, lease=RunLease("dead", LEASE), batch_size=2, steps=(die_on_second_batch,)
        )
        with pytest.raises(Killed):
            ingest_file(leased, source_id="f", spec=FileSpec(path=data))
        with app.sessions() as s:
            [run] = s.query(IngestRun).all()
            assert (run.status, run.last_line, run.owner) == ("running", 3, "dead")
        shift_clock.advance(seconds=61)
        with app.sessions.begin() as s:
            assert interrupt_lapsed_runs(s, now=shift_clock()) == 1
        assert _status(app, run.id)[0] == "interrupted"
        resumed = ingest_file(app.pipeline, source_id="f", spec=FileSpec(path=data))
        assert (resumed.run_id, resumed.resumed_from, resumed.new) == (run.id, 3, 4)
        with app.sessions() as s:
            assert s.query(Mention).count() == 6
        assert _status(app, run.id) == ("ok", None, True)
    finally:
        app.close()
