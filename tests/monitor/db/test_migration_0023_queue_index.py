"""0023: the incident queue's index is added to a database that already holds incidents."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from monitor.db.engine import make_engine
from monitor.db.migrate import upgrade


def _fill_and_upgrade(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine, "0022")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO incidents (id, entity_id, category, state, grade, peak_grade,"
                " likelihood, impact, reasons, title, first_seen_at, last_seen_at, opened_at,"
                " updated_at, mention_count, negative_count, neutral_count, positive_count,"
                " reach_total, top_sources, top_authors, drill, alert_seq) VALUES (3, 'acme',"
                " 'product_safety', 'open', 'high', 'high', 4, 4, '[]', 'formula scare',"
                " '2026-01-01 01:00:00', '2026-01-01 02:00:00', '2026-01-01 01:00:00',"
                " '2026-01-01 02:00:00', 1, 1, 0, 0, 10, '[]', '[]', false, 0)"
            ))
        upgrade(engine)
        indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("incidents")}
        assert indexes["ix_incidents_queue"] == ["state", "grade", "last_seen_at", "entity_id",
                                                 "category"]
        with engine.begin() as conn:
            kept = conn.execute(text("SELECT title FROM incidents WHERE id = 3")).scalar()
        assert kept == "formula scare"
    finally:
        engine.dispose()


def test_sqlite_database_with_incidents_is_upgraded(tmp_path: Path) -> None:
    _fill_and_upgrade(f"sqlite:///{tmp_path / 'q.sqlite'}")


def test_postgresql_database_with_incidents_is_upgraded(pg_url: str) -> None:
    _fill_and_upgrade(pg_url)
