"""Engines and sessions: SQLite (WAL, foreign keys) by default, PostgreSQL by URL.

Storage that cannot be used is reported as a ``StorageError`` with one readable line: a bad
URL, a missing driver, a data folder that cannot be created; ``UNAVAILABLE`` are the driver
errors of a database that cannot be reached or opened, and ``unavailable_reason`` words them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker


class StorageError(Exception):
    """The database cannot be opened or is not at the expected schema."""


# DB-API errors "not under the control of the programmer": refused or lost connections, wrong
# credentials, a missing database, a locked or unwritable SQLite file.
UNAVAILABLE: tuple[type[DBAPIError], ...] = (OperationalError, InterfaceError)


def unavailable_reason(exc: DBAPIError) -> str:
    """The driver's own first line (``connection refused``...), without SQLAlchemy's wrapping."""
    text = str(exc.orig if exc.orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc.orig or exc).__name__


def storage_folder(path: Path, *, what: str) -> Path:
    """Create a storage folder and its parents, or raise a StorageError saying why not."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"cannot create {what} {path.absolute()}: {exc.strerror or exc}"
            + (f" ({exc.filename})" if exc.filename and str(exc.filename) != str(path) else "")
        ) from None
    return path


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite files get WAL, foreign keys and a busy timeout."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(f"not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            storage_folder(Path(database).parent, what="the SQLite database's folder")
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            return create_engine(parsed, pool_pre_ping=True)
        except ImportError as exc:
            raise StorageError(
                f"no driver for {parsed.drivername} ({exc.name or exc}): "
                "pip install 'crisiswatch[postgres]'"
            ) from None
    raise StorageError(
        f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
