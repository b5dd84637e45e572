"""0025: the full-text index is built for a database that already holds mentions."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from monitor.db.engine import make_engine
from monitor.db.migrate import upgrade
from monitor.search.index import indexed
from monitor.search.mentions import MentionFilter, search_mentions

POSTS = (
    (7, "網傳瀾沐奶粉導致嬰兒過敏", None, "媽媽"),
    (8, "Formula RECALL announced", "Lumina news", "reporter"),
    (9, "nothing here", None, None),
)


def _fill_and_upgrade(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine, "0024")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO sources (id, kind, location, created_at, consecutive_failures) "
                "VALUES ('weibo', 'export', 'w.csv', '2026-01-01 00:00:00', 0)"
            ))
            for mention_id, body, title, author in POSTS:
                conn.execute(text(
                    "INSERT INTO mentions (id, source_id, external_id, published_at, date_missing,"
                    " collected_at, text, title, author, metrics, content_hash, entities) VALUES"
                    " (:id, 'weibo', :ext, '2026-01-01 01:00:00', false, '2026-01-01 01:05:00',"
                    " :body, :title, :author, '{}', :ext, '[]')"
                ), {"id": mention_id, "ext": f"m{mention_id}", "body": body, "title": title,
                    "author": author})
        upgrade(engine)
        with Session(engine) as session:
            def found(query: str) -> list[int]:
                page = search_mentions(session, where=MentionFilter(text=query), limit=10)
                return sorted(m.id for m in page.mentions)

            assert found("奶粉") == [7]
            assert found("澜沐奶粉导致") == [7]
            assert found("妈") == [7]
            assert found("recall") == [8]
            assert found("lumina") == [8]
            assert found("reporter") == [8]
            assert found("here") == [9]
        with engine.begin() as conn:
            assert indexed(conn) == {7, 8, 9}
            conn.execute(text("DELETE FROM mentions WHERE id = 8"))
            assert indexed(conn) == {7, 9}
        with Session(engine) as session:
            assert search_mentions(session, where=MentionFilter(text="recall"), limit=10).total == 0
    finally:
        engine.dispose()


def test_sqlite_database_with_mentions_is_indexed(tmp_path: Path) -> None:
    _fill_and_upgrade(f"sqlite:///{tmp_path / 'r.sqlite'}")


def test_postgresql_database_with_mentions_is_indexed(pg_url: str) -> None:
    _fill_and_upgrade(pg_url)
