"""Backfill: an export of old rows ingested today counts in the weeks its rows were published.

Issue 18 saw a week holding 235 old mentions say "No incidents were opened" while the current
week showed 0 mentions and 21 incidents: incidents were counted by when they were opened (today,
when the export arrived), mentions by when they were published. Both now follow publication.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from config.loader import load_config
from monitor.app import open_app
from monitor.db.engine import make_engine
from monitor.db.migrate import ensure_schema, upgrade
from monitor.db.models import Incident, Mention
from monitor.digest.backfill import basis_lines
from monitor.digest.figures import build_digest
from monitor.digest.labels import Labels
from monitor.digest.model import Digest
from monitor.digest.period import iso_week, period_at
from monitor.digest.render_markdown import md_escape, render_markdown
from monitor.digest.run import digest_inputs
from monitor.digest.testing import generate_week, sample_inputs
from monitor.pipeline.collect import FileSpec, ingest_file

TZ = "Asia/Shanghai"
NOW = datetime(2026, 12, 7, 3, tzinfo=UTC)  # Monday of 2026-W50, 11:00 in Shanghai
CONFIG = """\
version: 1
organisation: {name: Acme, timezone: Asia/Shanghai}
entities:
  - {id: acme, name: Acme, kind: brand, aliases: [Acme]}
"""
TEXTS = (
    "Acme formula made my baby sick, product recall now, food poisoning {}",
    "Acme milk contaminated, kids in hospital, recall demanded {}",
    "Acme infant formula poisoning scandal, regulators investigate {}",
)


def _export(path: Path) -> None:
    start = datetime(2026, 11, 2, 2, tzinfo=UTC)  # Monday 10:00 of 2026-W45 in Shanghai
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "published_at", "text"])
        for i in range(235):
            when = start + timedelta(minutes=20 * i)
            writer.writerow([i, when.isoformat(), TEXTS[i % 3].format(i)])
        writer.writerow([235, "", "Acme opened a new shop downtown today"])


def test_backfilled_export_counts_in_its_own_week_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "crisiswatch.yaml").write_text(CONFIG, encoding="utf-8")
    _export(tmp_path / "old.csv")
    config = load_config(tmp_path / "crisiswatch.yaml")
    with open_app(config, clock=lambda: NOW, database=f"sqlite:///{tmp_path / 'db.sqlite'}") as app:
        stats = ingest_file(
            app.pipeline, source_id="export", spec=FileSpec(path=tmp_path / "old.csv")
        )
        assert stats.new == 236
        with app.sessions() as session:
            opened = list(session.scalars(select(Incident)))
            inputs = digest_inputs(app)
            old = build_digest(
                session=session, inputs=inputs, period=iso_week(week="2026-W45", tz=TZ), now=NOW
            )
            this = build_digest(
                session=session,
                inputs=inputs,
                period=period_at(kind="week", at="2026-12-07", tz=TZ),
                now=NOW,
            )
    # the pipeline opened the export's incidents today, from mentions published weeks ago
    assert opened and all(
        i.opened_at == NOW and i.first_seen_at < NOW - timedelta(days=30) for i in opened
    )
    assert old.headline.mentions.current == 235
    assert old.headline.incidents.current == len(opened)  # was 0: "No incidents were opened"
    assert old.meta.basis.late_mentions == 235
    assert old.meta.basis.late_collected_first == old.meta.basis.late_collected_last == NOW
    assert old.meta.basis.incidents_opened_later == len(opened)
    assert old.meta.basis.undated_mentions == 0
    # this week holds only the undated row (counted when collected, and said so), no incident
    assert this.meta.period.label == "2026-W50"
    assert this.headline.mentions.current == 1 and this.meta.basis.undated_mentions == 1
    assert this.meta.basis.late_mentions == 0
    assert this.headline.incidents.current == 0  # was len(opened)
    assert this.meta.basis.incidents_from_earlier == len(opened)
    old_lines = basis_lines(old.meta.basis, Labels("en", TZ))
    assert old_lines[0].startswith("Mentions count by when they were published; an incident")
    assert old_lines[1] == (
        "235 of these mentions arrived late (backfill: collected more than 2d 0h after "
        "publication), collected 2026-12-07 11:00 UTC+8 to 2026-12-07 11:00 UTC+8."
    )
    assert old_lines[2] == f"{len(opened)} of these incidents were opened after the period ended."
    assert md_escape(" ".join(old_lines)) in render_markdown(old, labels=Labels("en", TZ))
    zh = Labels("zh", TZ)
    this_lines = basis_lines(this.meta.basis, zh)
    assert this_lines[1:] == [
        "1条提及缺少发布时间，按采集时间计入。",
        f"本期立案的事件中有{len(opened)}个始于更早（首条提及发布于本期之前），计入相应时期。",
    ]
    assert md_escape(" ".join(this_lines)) in render_markdown(this, labels=zh)


def test_late_threshold_is_per_mention_not_per_period(tmp_path: Path) -> None:
    (tmp_path / "crisiswatch.yaml").write_text(CONFIG, encoding="utf-8")
    data = tmp_path / "recent.csv"
    # published a day before collection: on time with the default 2 days, late with 12 hours
    data.write_text(
        "id,published_at,text\n1,2026-12-06T03:00:00+00:00,Acme is fine\n", encoding="utf-8"
    )
    config = load_config(tmp_path / "crisiswatch.yaml")
    with open_app(config, clock=lambda: NOW, database=f"sqlite:///{tmp_path / 'db.sqlite'}") as app:
        ingest_file(app.pipeline, source_id="export", spec=FileSpec(path=data))
        period = period_at(kind="day", at="2026-12-06", tz=TZ)
        with app.sessions() as session:
            inputs = digest_inputs(app)
            on_time = build_digest(session=session, inputs=inputs, period=period, now=NOW)
            strict = build_digest(
                session=session,
                inputs=type(inputs)(**{**_fields(inputs), "late_after": timedelta(hours=12)}),
                period=period,
                now=NOW,
            )
    assert on_time.headline.mentions.current == strict.headline.mentions.current == 1
    assert on_time.meta.basis.late_mentions == 0 and strict.meta.basis.late_mentions == 1


def _fields(value: object) -> dict[str, object]:
    import dataclasses

    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}  # type: ignore[arg-type]


def _late_week(engine: Engine) -> Digest:
    period = iso_week(week="2026-W46", tz=TZ)
    generate_week(engine, period=period, mentions=400, incidents=6, drills=0, backlog=2)
    with engine.begin() as conn:
        # an old row collected today, and one whose date was unknown (stored when collected)
        conn.execute(update(Mention).where(Mention.id == 450).values(collected_at=NOW))
        conn.execute(update(Mention).where(Mention.id == 451).values(date_missing=True))
    with Session(engine) as session:
        return build_digest(session=session, inputs=sample_inputs("en", TZ), period=period, now=NOW)


def test_postgresql_counts_backfill_and_entities_like_sqlite(pg_url: str, tmp_path: Path) -> None:
    lite = make_engine(f"sqlite:///{tmp_path / 'lite.sqlite'}")
    pg = make_engine(pg_url)
    try:
        ensure_schema(lite)
        upgrade(pg)
        on_sqlite, on_pg = _late_week(lite), _late_week(pg)
    finally:
        lite.dispose()
        pg.dispose()
    assert on_sqlite.meta.basis.late_mentions == 1 and on_sqlite.meta.basis.undated_mentions == 1
    assert on_pg.meta.basis == on_sqlite.meta.basis
    assert on_pg.headline == on_sqlite.headline
    assert on_pg.entities == on_sqlite.entities and on_pg.voice == on_sqlite.voice
    assert sum(e.mentions for e in on_pg.entities) > on_pg.headline.mentions.current  # overlaps
