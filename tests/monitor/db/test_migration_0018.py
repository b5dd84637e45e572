"""0018 (on-call overrides and swaps) upgrades a database that holds data, on SQLite and
PostgreSQL: what was stored stays, the new tables take rows and keep swaps unique per shift."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from monitor.db.engine import make_engine
from monitor.db.migrate import current_revision, upgrade


def _upgrade_with_data(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine, "0016")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO sources (id, kind, location, created_at, consecutive_failures) "
                    "VALUES ('f', 'rss', 'feed.xml', '2026-01-01 00:00:00', 0)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO silences (entity_id, until, reason, created_by, created_at) "
                    "VALUES ('acme', '2027-01-01 00:00:00', 'noise', 'li.na', '2026-01-01')"
                )
            )
        upgrade(engine, "0018")
        assert current_revision(engine) == "0018"
        with engine.begin() as conn:
            assert conn.execute(text("SELECT id, location FROM sources")).all() == [
                ("f", "feed.xml")
            ]
            assert conn.execute(text("SELECT reason FROM silences")).scalar() == "noise"
            conn.execute(
                text(
                    "INSERT INTO oncall_overrides (schedule_id, person_id, starts_at, ends_at,"
                    " reason, created_by, created_at) VALUES ('risk-primary', 'li.na',"
                    " '2026-12-07 05:00:00', '2026-12-07 07:00:00', '', 'tom.clarke',"
                    " '2026-12-07 04:00:00')"
                )
            )
            swap = (
                "INSERT INTO oncall_swaps (schedule_id, person_id, with_person_id, shift_start,"
                " reason, created_by, created_at) VALUES ('risk-primary', 'zhang.min', 'li.na',"
                " '2026-12-08 01:00:00', '', 'zhang.min', '2026-12-07 04:00:00')"
            )
            conn.execute(text(swap))
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(swap))
        from alembic import command

        from monitor.db.migrate import _alembic_config

        command.downgrade(_alembic_config(engine), "0017")  # and back down
        assert current_revision(engine) == "0017"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM silences")).scalar() == 1
    finally:
        engine.dispose()


def test_sqlite_database_with_data_is_upgraded(tmp_path: Path) -> None:
    _upgrade_with_data(f"sqlite:///{tmp_path / 'm.sqlite'}")


def test_postgresql_database_with_data_is_upgraded(pg_url: str) -> None:
    _upgrade_with_data(pg_url)
