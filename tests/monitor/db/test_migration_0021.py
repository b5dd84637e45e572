"""0021: users, API tokens, login sessions and the audit log join a database holding data,
and leave it as it was on the way down."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect, text

from monitor.db.engine import make_engine
from monitor.db.migrate import _alembic_config, upgrade

TABLES = {"users", "api_tokens", "web_sessions", "audit_log"}


def _fill_and_upgrade(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine, "0020")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO sources (id, kind, location, created_at, consecutive_failures) "
                "VALUES ('weibo', 'export', 'w.csv', '2026-01-01 00:00:00', 0)"))
            conn.execute(text(
                "INSERT INTO mentions (id, source_id, external_id, published_at, date_missing,"
                " collected_at, text, metrics, content_hash, entities, intent) VALUES (7,"
                " 'weibo', 'a1', '2026-01-01 01:00:00', false, '2026-01-01 01:05:00',"
                " '澜沐奶粉', '{}', 'h1', '[\"lumina\"]', 'complaint')"))
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
        at = {"at": "2026-01-02 00:00:00"}
        with engine.begin() as conn:
            kept = conn.execute(text("SELECT text FROM mentions WHERE id = 7")).scalar()
            assert kept == "澜沐奶粉"
            conn.execute(text(
                "INSERT INTO users (id, name, role, person, password_hash, created_at, created_by,"
                " password_changed_at) VALUES (1, 'ada', 'admin', 'li.na', '$argon2id$x', :at,"
                " 'cli:root', :at)"), at)
            conn.execute(text(
                "INSERT INTO api_tokens (user_id, name, token_hash, scope, created_at) VALUES"
                " (1, 'ci', :hash, 'viewer', :at)"), {**at, "hash": "a" * 64})
            conn.execute(text(
                "INSERT INTO web_sessions (token_hash, user_id, csrf_token, created_at,"
                " last_seen_at, expires_at) VALUES (:hash, 1, 'c', :at, :at, :at)"),
                {**at, "hash": "b" * 64})
            conn.execute(text(
                "INSERT INTO audit_log (at, actor, action, detail, via) VALUES"
                " (:at, 'ada', 'login', '{}', 'web')"), at)
        with engine.begin() as conn:
            duplicate = conn.execute(text("SELECT count(*) FROM users WHERE name = 'ada'"))
            assert duplicate.scalar() == 1
        command.downgrade(_alembic_config(engine), "0020")
        assert not TABLES & set(inspect(engine).get_table_names())
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM mentions")).scalar() == 1
        upgrade(engine)  # and up again, empty
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 0
    finally:
        engine.dispose()


def test_sqlite_database_with_data_is_upgraded(tmp_path: Path) -> None:
    _fill_and_upgrade(f"sqlite:///{tmp_path / 'r.sqlite'}")


def test_postgresql_database_with_data_is_upgraded(pg_url: str) -> None:
    _fill_and_upgrade(pg_url)
