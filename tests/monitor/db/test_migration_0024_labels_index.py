"""0024: the labels index is added to a database that already holds labels."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from monitor.db.engine import make_engine
from monitor.db.migrate import upgrade


def _fill_and_upgrade(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine, "0021")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO sources (id, kind, location, created_at, consecutive_failures) "
                "VALUES ('weibo', 'export', 'w.csv', '2026-01-01 00:00:00', 0)"))
            conn.execute(text(
                "INSERT INTO mentions (id, source_id, external_id, published_at, date_missing,"
                " collected_at, text, metrics, content_hash, entities) VALUES (7, 'weibo', 'a1',"
                " '2026-01-01 01:00:00', false, '2026-01-01 01:05:00', '奶粉过敏', '{}', 'h1',"
                " '[\"acme\"]')"))
            conn.execute(text(
                "INSERT INTO labels (mention_id, kind, value, text, lang, created_by, created_at)"
                " VALUES (7, 'sentiment', 'negative', '奶粉过敏', 'zh', 'ana',"
                " '2026-01-02 00:00:00')"))
        upgrade(engine)
        indexes = {i["name"] for i in inspect(engine).get_indexes("labels")}
        with engine.begin() as conn:
            kept = conn.execute(text("SELECT mention_id, kind, value FROM labels")).all()
        assert "ix_labels_mention_kind" in indexes
        assert [tuple(r) for r in kept] == [(7, "sentiment", "negative")]
    finally:
        engine.dispose()


def test_sqlite_database_with_labels_is_upgraded(tmp_path: Path) -> None:
    _fill_and_upgrade(f"sqlite:///{tmp_path / 'l.sqlite'}")


def test_postgresql_database_with_labels_is_upgraded(pg_url: str) -> None:
    _fill_and_upgrade(pg_url)
