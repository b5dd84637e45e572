"""0022: the incident checklist table is added to a database that already holds incidents."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from monitor.db.engine import make_engine
from monitor.db.migrate import upgrade

INCIDENT = text(
    "INSERT INTO incidents (id, reasons, title, top_sources, top_authors, entity_id, state,"
    " grade, peak_grade, likelihood, impact, first_seen_at, last_seen_at, opened_at, updated_at,"
    " mention_count, negative_count, neutral_count, positive_count, reach_total, drill,"
    " alert_seq) VALUES (4, '[]', 'formula scare', '[]', '[]', 'acme', 'open', 'high', 'high',"
    " 3, 3, '2026-01-01', '2026-01-01', '2026-01-01', '2026-01-01', 1, 1, 0, 0, 0, false, 0)"
)
TICK = text(
    "INSERT INTO incident_checklist (incident_id, item_key, item_text, done_by, done_at)"
    " VALUES (4, '0-abc', 'Confirm the facts.', 'li.na', '2026-01-01 01:00:00')"
)


def _fill_and_upgrade(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine, "0021")
        with engine.begin() as conn:
            conn.execute(INCIDENT)
        upgrade(engine, "0022")
        with engine.begin() as conn:
            conn.execute(TICK)
            assert conn.execute(text("SELECT title FROM incidents")).scalar() == "formula scare"
            rows = conn.execute(text("SELECT incident_id, done_by FROM incident_checklist")).all()
        assert [tuple(r) for r in rows] == [(4, "li.na")]
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(TICK)  # one tick per incident and item
    finally:
        engine.dispose()


def test_sqlite_database_with_incidents_is_upgraded(tmp_path: Path) -> None:
    _fill_and_upgrade(f"sqlite:///{tmp_path / 'c.sqlite'}")


def test_postgresql_database_with_incidents_is_upgraded(pg_url: str) -> None:
    _fill_and_upgrade(pg_url)
