"""0020: reply deadlines and replies are added to a database that already holds mentions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from monitor.db.engine import make_engine
from monitor.db.migrate import upgrade


def _fill_and_upgrade(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine, "0016")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO sources (id, kind, location, created_at, consecutive_failures) "
                    "VALUES ('weibo', 'export', 'w.csv', '2026-01-01 00:00:00', 0)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO mentions (id, source_id, external_id, published_at, date_missing,"
                    " collected_at, text, metrics, content_hash, entities, intent) VALUES (7,"
                    " 'weibo', 'a1', '2026-01-01 01:00:00', false, '2026-01-01 01:05:00',"
                    " 'Where can I buy it?', '{}', 'h1', '[\"acme\"]', 'enquiry')"
                )
            )
        upgrade(engine)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM reply_deadlines")).scalar() == 0
            conn.execute(
                text(
                    "INSERT INTO replies (mention_id, replied_at, replied_by, verified, via,"
                    " recorded_at) VALUES (7, :at, 'ana', false, 'cli', :at)"
                ),
                {"at": datetime(2026, 1, 1, 2, tzinfo=UTC).replace(tzinfo=None)},
            )
            kept = conn.execute(text("SELECT text FROM mentions WHERE id = 7")).scalar()
            replies = conn.execute(text("SELECT mention_id, replied_by FROM replies")).all()
        assert kept == "Where can I buy it?"
        assert [tuple(r) for r in replies] == [(7, "ana")]
    finally:
        engine.dispose()


def test_sqlite_database_with_mentions_is_upgraded(tmp_path: Path) -> None:
    _fill_and_upgrade(f"sqlite:///{tmp_path / 'r.sqlite'}")


def test_postgresql_database_with_mentions_is_upgraded(pg_url: str) -> None:
    _fill_and_upgrade(pg_url)
