"""Alembic migrations run from code: automatic on SQLite, ``crisiswatch db upgrade`` elsewhere.

Opening storage checks the schema on every command, so the common case (the database already
at the newest revision) costs one query and no alembic: the newest revision is read from the
migration files' own ``revision`` / ``down_revision`` lines, and alembic (which imports every
migration script, a quarter of a CPU-second) runs only when the schema needs work or the
revisions cannot be read that simply.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from monitor.db.engine import StorageError

if TYPE_CHECKING:
    from alembic.config import Config

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# alembic's default version table, which migrations/env.py keeps
_VERSION_TABLE = "alembic_version"


def _alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The newest revision: the one no migration file names as its ``down_revision``."""
    head = declared_head()
    if head is not None:
        return head
    return _alembic_head()


def _alembic_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


@cache
def declared_head() -> str | None:
    """The single head of the migration files read without importing them, or None when
    they do not declare plain ``revision``/``down_revision`` literals with one head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (_MIGRATIONS / "versions").glob("*.py"):
        if path.name == "__init__.py":
            continue
        declared = _declared(path)
        if declared is None:
            return None
        revision, down = declared
        revisions.add(revision)
        parents.update(down)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _declared(path: Path) -> tuple[str, tuple[str, ...]] | None:
    """A migration file's ``revision`` and its ``down_revision``(s), if plain literals."""
    values: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision") and value:
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:
                return None
    revision, down = values.get("revision"), values.get("down_revision")
    if not isinstance(revision, str):
        return None
    if down is None or isinstance(down, str):
        return revision, (() if down is None else (down,))
    if isinstance(down, tuple) and all(isinstance(d, str) for d in down):
        return revision, down
    return None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _is_at_head(engine: Engine) -> bool:
    """Whether the version table holds exactly the head revision (one query, no alembic)."""
    head = declared_head()
    if head is None:
        return False
    with engine.connect() as conn:
        try:
            rows = conn.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}")).all()
        except DBAPIError:  # no version table yet (a new database): alembic decides
            return False
    return [tuple(row) for row in rows] == [(head,)]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    from alembic import command

    command.upgrade(_alembic_config(engine), revision)


def ensure_schema(engine: Engine) -> None:
    """Upgrade SQLite automatically; refuse an out-of-date PostgreSQL with the fix to run."""
    if _is_at_head(engine):
        return
    current, head = current_revision(engine), _alembic_head()
    if current == head:
        return
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return
    raise StorageError(
        "database schema is not up to date: run `crisiswatch db upgrade` "
        f"(at {current or 'empty'}, need {head})"
    )
