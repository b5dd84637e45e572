"""Alembic migrations run from code: automatic on SQLite, ``crisiswatch db upgrade`` elsewhere."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from monitor.db.engine import StorageError

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    script = ScriptDirectory.from_config(_script_config())
    head = script.get_current_head()
    assert head is not None
    return head


def _script_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    command.upgrade(_alembic_config(engine), revision)


def ensure_schema(engine: Engine) -> None:
    """Upgrade SQLite automatically; refuse an out-of-date PostgreSQL with the fix to run."""
    if current_revision(engine) == head_revision():
        return
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return
    raise StorageError(
        "database schema is not up to date: run `crisiswatch db upgrade` "
        f"(at {current_revision(engine) or 'empty'}, need {head_revision()})"
    )
