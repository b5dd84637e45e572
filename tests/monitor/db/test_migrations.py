"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from monitor.db.engine import make_engine
from monitor.db.migrate import current_revision, ensure_schema, head_revision, upgrade
from monitor.db.models import Base


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            # the full-text index is made by monitor.search.index, not described by a model
            opts = {"include_name": lambda name, *_: not str(name).startswith("mention_search")}
            return list(compare_metadata(MigrationContext.configure(conn, opts=opts),
                                         Base.metadata))
    finally:
        engine.dispose()


def test_sqlite_migrations_match_models(tmp_path: Path) -> None:
    assert _diff(f"sqlite:///{tmp_path / 'm.sqlite'}") == []


def test_sqlite_is_upgraded_automatically_and_uses_wal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'auto.sqlite'}")
    ensure_schema(engine)
    ensure_schema(engine)  # idempotent
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_postgresql_migrations_match_models(pg_url: str) -> None:
    assert _diff(pg_url) == []


def test_postgresql_is_never_migrated_implicitly(pg_url: str) -> None:
    import pytest

    from monitor.db.engine import StorageError

    engine = make_engine(pg_url)
    with pytest.raises(StorageError, match="crisiswatch db upgrade"):
        ensure_schema(engine)
    engine.dispose()


def test_queued_alerts_are_numbered_per_incident_in_their_old_order(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    upgrade(engine, "0014")
    with engine.begin() as conn:
        for incident in (1, 2):
            conn.execute(text(
                "INSERT INTO incidents (id, reasons, title, top_sources, top_authors, entity_id,"
                " state, grade, peak_grade, likelihood, impact, first_seen_at, last_seen_at,"
                " opened_at, updated_at, mention_count, negative_count, neutral_count,"
                " positive_count, reach_total, drill) VALUES (:i, '[]', 't', '[]', '[]', 'acme',"
                " 'open', 'high', 'high', 3, 3, '2024-01-01', '2024-01-01', '2024-01-01',"
                " '2024-01-01', 1, 1, 0, 0, 0, 0)"), {"i": incident})
        for alert, incident, at in [(1, 1, "00:05"), (2, 1, "00:01"), (3, 2, "00:00"),
                                    (4, 1, "00:01"), (5, None, "00:00")]:
            conn.execute(text(
                "INSERT INTO alerts (id, incident_id, event, channel, dedup_key, payload, status,"
                " attempts, next_attempt_at, created_at, drill) VALUES (:id, :inc, 'opened',"
                " 'slack', :key, '{}', 'pending', 0, :at, :at, 0)"),
                {"id": alert, "inc": incident, "key": f"k{alert}", "at": f"2024-01-01 00:{at}"})
    upgrade(engine)
    with engine.begin() as conn:
        seqs = conn.execute(text("SELECT id, seq FROM alerts ORDER BY id")).all()
        last = conn.execute(text("SELECT id, alert_seq FROM incidents ORDER BY id")).all()
    assert [tuple(r) for r in seqs] == [(1, 3), (2, 1), (3, 1), (4, 2), (5, None)]
    assert [tuple(r) for r in last] == [(1, 3), (2, 1)]
    engine.dispose()


def test_quarantined_repeats_stored_before_fingerprints_are_removed(tmp_path: Path) -> None:
    """0016: the rows quarantined again on every poll are deleted, the first kept."""
    from monitor.pipeline.store import quarantine_fingerprint

    engine = make_engine(f"sqlite:///{tmp_path / 'q.sqlite'}")
    upgrade(engine, "0014")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO sources (id, kind, location, created_at, consecutive_failures) "
            "VALUES ('f', 'rss', 'feed.xml', '2026-01-01 00:00:00', 0)"
        )
        for _ in range(3):  # the same bad entry, stored on each of three polls
            conn.exec_driver_sql(
                "INSERT INTO quarantined_rows (source_id, location, line, error, excerpt, "
                "created_at) VALUES ('f', 'feed.xml', NULL, 'entry 2: no title', 'x', "
                "'2026-01-01 00:00:00')"
            )
    upgrade(engine)
    with engine.connect() as conn:
        kept = conn.exec_driver_sql("SELECT id, fingerprint FROM quarantined_rows").all()
    engine.dispose()
    expected = quarantine_fingerprint(
        location="feed.xml", line=None, identity="entry 2: no title", excerpt="x"
    )
    assert kept == [(1, expected)]


def test_the_head_read_from_the_files_is_alembics() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from monitor.db.migrate import _MIGRATIONS, declared_head

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    assert declared_head() == ScriptDirectory.from_config(cfg).get_current_head()
    assert head_revision() == declared_head()


def test_opening_an_up_to_date_database_loads_no_alembic(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    script = (
        "import json, sys\n"
        "from monitor.db.engine import make_engine\n"
        "from monitor.db.migrate import ensure_schema\n"
        f"ensure_schema(make_engine({url!r}))\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic')))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_a_database_behind_the_head_is_still_upgraded(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    upgrade(engine, "0014")
    ensure_schema(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_reviews_are_added_to_a_database_holding_incidents(tmp_path: Path) -> None:
    """0017: an incident stored before reviews existed gets a review and action items."""
    from datetime import UTC, datetime

    from monitor.db.engine import session_factory
    from monitor.incidents.reviews import ActionDraft, ReviewChange, edit_review, review_view

    engine = make_engine(f"sqlite:///{tmp_path / 'r.sqlite'}")
    upgrade(engine, "0016")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO incidents (id, reasons, title, top_sources, top_authors, entity_id,"
            " state, grade, peak_grade, likelihood, impact, first_seen_at, last_seen_at,"
            " opened_at, updated_at, mention_count, negative_count, neutral_count,"
            " positive_count, reach_total, drill, alert_seq) VALUES (7, '[]', 'old story',"
            " '[]', '[]', 'acme', 'resolved', 'high', 'high', 3, 3, '2024-01-01',"
            " '2024-01-01', '2024-01-01 08:00:00', '2024-01-01', 1, 1, 0, 0, 0, 0, 0)"))
        conn.execute(text(
            "INSERT INTO incident_events (incident_id, at, kind, actor, grade, detail) VALUES"
            " (7, '2024-01-01 09:00:00', 'resolved', 'Ana', 'high', '{\"note\": \"done\"}')"))
    upgrade(engine)
    now = datetime(2024, 1, 2, tzinfo=UTC)
    sessions = session_factory(engine)
    with sessions.begin() as s:
        change = ReviewChange(summary="s", causes=("c",), actions=(
            ActionDraft(text="t", owner="o", due_at=datetime(2024, 1, 1, tzinfo=UTC)),))
        edit_review(s, incident_id=7, change=change, by="Ana", now=now)
    with sessions.begin() as s:
        view = review_view(s, incident_id=7, now=now)
    assert view.causes == ("c",) and view.incident_title == "old story"
    assert [(a.text, a.overdue) for a in view.actions] == [("t", True)]
    assert [e.text for e in view.timeline] == ["resolved: done by Ana"]
    with engine.begin() as conn:  # the review goes with its incident
        conn.execute(text("DELETE FROM incident_events"))
        conn.execute(text("DELETE FROM incidents WHERE id = 7"))
        left = conn.execute(text("SELECT (SELECT count(*) FROM reviews),"
                                 " (SELECT count(*) FROM review_actions)")).one()
    assert tuple(left) == (0, 0)
    engine.dispose()
