"""PostgreSQL stores (array statements) exactly what SQLite stores (SQLAlchemy statements)."""

from __future__ import annotations

import csv
import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from monitor.app import App, open_app
from monitor.collectors.base import RawItem
from monitor.db.engine import make_engine, session_factory
from monitor.db.migrate import upgrade
from monitor.db.models import Mention, MentionEntity, Source
from monitor.pipeline.collect import FileSpec, ingest_file
from monitor.pipeline.store import Candidate, store_batch

CONFIG = """\
version: 1
organisation: {name: Acme}
entities:
  - {id: acme, name: Acme, kind: brand, aliases: [Acme, 艾克美]}
  - {id: rival, name: Rival, kind: competitor, aliases: [Rival Milk]}
  - {id: safety, name: Safety, kind: topic, query: 'recall OR 召回'}
"""

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)

ROWS = [
    # id, title, url, author, followers, date, text, likes
    ("1", "", "https://x.example/1", "ann", "120", "2026-11-19 08:00:00", "Acme recall now", "3"),
    ("2", "", "", "bob", "", "2026-11-19 08:01:00", "Acme recall now", "0"),  # copy, same batch
    ("3", "Recall?", "", "", "7", "", "Acme Kids rash, Rival Milk fine", ""),  # no date
    ("1", "", "", "ann", "120", "2026-11-19 08:00:00", "Acme recall now", "3"),  # same id
    ("4", "", "", "c" * 600, "5", "2026-11-19 09:00:00", "艾克美奶粉召回 \"quoted\" {x}, \\", "9"),
    ("5", "", "", "dan", "2", "2026-11-19 10:00:00", "weather is fine", "1"),  # unmatched
    ("6", "", "", "eve", "99999999999", "2026-11-19 11:00:00", "Acme recall now", "2"),  # later
    ("7", "Recall?", "", "fay", "1", "2026-11-19 12:00:00", "Acme Kids rash, Rival Milk fine", "4"),
]


def _write(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "title", "url", "author", "followers", "date", "text", "likes"])
        writer.writerows(ROWS)


def _stored(app: App) -> dict[str, Any]:
    """Everything stored, keyed by external id; ids replaced by the external ids they name."""
    with app.sessions() as s:
        mentions = s.scalars(select(Mention)).all()
        ext = {m.id: m.external_id for m in mentions}
        rows = {}
        for m in mentions:
            values = {c.key: getattr(m, c.key) for c in sa.inspect(Mention).columns}
            values.pop("id")
            values.pop("run_id")
            values["duplicate_of"] = ext.get(values["duplicate_of"] or 0)
            rows[m.external_id] = values
        links = {(ext[mid], eid) for mid, eid in s.execute(
            select(MentionEntity.mention_id, MentionEntity.entity_id))}
    return {"mentions": rows, "links": links}


def _ingest(app: App, data: Path) -> tuple[Any, Any, dict[str, Any]]:
    pipeline = dataclasses.replace(app.pipeline, batch_size=3, clock=lambda: NOW)
    first = ingest_file(pipeline, source_id="src", spec=FileSpec(path=data))
    again = ingest_file(pipeline, source_id="src", spec=FileSpec(path=data), force=True)
    return first, again, _stored(app)


def test_postgresql_stores_and_scores_what_sqlite_does(
    tmp_path: Path, pg_url: str, make_config: Any
) -> None:
    data = tmp_path / "mentions.csv"
    _write(data)
    cfg = make_config(CONFIG)
    engine = make_engine(pg_url)
    upgrade(engine)
    engine.dispose()
    results = []
    for url in (f"sqlite:///{tmp_path / 'db.sqlite'}", pg_url):
        with open_app(cfg, database=url) as app:
            results.append(_ingest(app, data))
    (lite_first, lite_again, lite), (pg_first, pg_again, pg) = results
    assert dataclasses.replace(pg_first, run_id=None) == dataclasses.replace(
        lite_first, run_id=None
    )
    assert (pg_again.new, pg_again.duplicate) == (lite_again.new, lite_again.duplicate) == (0, 7)
    assert pg == lite
    mentions = pg["mentions"]
    assert set(mentions) == {"1", "2", "3", "4", "6", "7"}
    # copies point at the earliest original, within a batch and across batches
    assert [mentions[e]["duplicate_of"] for e in ("1", "2", "6", "3", "7")] == [
        None, "1", "1", None, "3"
    ]
    assert mentions["3"]["date_missing"] and len(mentions["4"]["author"]) == 512
    assert all(m["scored_at"] == NOW and m["grade"] for m in mentions.values())
    assert ("3", "rival") in pg["links"] and ("4", "safety") in pg["links"]


def test_postgresql_rejects_an_over_long_value_rather_than_truncating(pg_url: str) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    sessions = session_factory(engine)
    item = RawItem(external_id="x", text="Acme", lang="much-too-long-a-language")
    cand = Candidate(item=item, text=item.text, lang=item.lang, entities=("acme",),
                     content_hash="h" * 64)
    try:
        with sessions.begin() as session:
            session.add(Source(id="s", kind="file", location="x", created_at=NOW))
        with pytest.raises(sa.exc.DataError, match="too long"), sessions.begin() as session:
            store_batch(session, source_id="s", run_id=None, candidates=[cand], scores=None,
                        rejected=[], now=NOW)
    finally:
        engine.dispose()
