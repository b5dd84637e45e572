"""Who runs the scheduler: one leader per deployment.

PostgreSQL: the leader holds a session-level advisory lock on a dedicated connection for as long
as it leads. If the process dies, its connection closes and PostgreSQL releases the lock;
followers try every ``retry`` seconds and one of them takes over. A leader that loses its
connection stops leading at once (another may already have the lock).

SQLite: one process only. ``SqliteInstanceLock`` holds an exclusive ``flock`` on
``<database>.lock`` for the life of the process; a second ``crisiswatch run`` is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

LOCK_NAMESPACE = "crisiswatch:scheduler-leader"


class ServiceError(Exception):
    """The service cannot start as asked (e.g. another instance already uses the database)."""


class AlreadyRunning(ServiceError):
    """Another ``crisiswatch run`` holds the SQLite database."""


class SqliteInstanceLock:
    """An exclusive lock file beside the SQLite database, held until ``release``."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self._file: IO[str] | None = None

    def acquire(self) -> SqliteInstanceLock:
        """Take the lock or raise AlreadyRunning naming the database and the holder's pid."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise AlreadyRunning(
                f"another crisiswatch instance (pid {holder}) is already running on "
                f"{self.database}: SQLite allows one; stop it first, or use PostgreSQL to run "
                f"several (lock file {self.path})"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return self

    def release(self) -> None:
        """Drop the lock (closing the file releases it)."""
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def advisory_key(namespace: str, database: str, schema: str) -> int:
    """A signed 64-bit lock id unique to this deployment's database and schema."""
    digest = hashlib.blake2b(f"{namespace}|{database}|{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PgLeaderElection:
    """Campaigns for the advisory lock in a thread; calls back on winning and losing it."""

    def __init__(
        self,
        url: URL,
        *,
        on_elected: Callable[[], None],
        on_lost: Callable[[], None],
        retry_seconds: float = 5.0,
        namespace: str = LOCK_NAMESPACE,
    ) -> None:
        # A pool-less engine: the lock lives on one connection we own, never returned to a pool.
        self._engine: Engine = create_engine(
            url,
            poolclass=NullPool,
            connect_args={"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
                          "keepalives_count": 3, "connect_timeout": 10},
        )
        self._on_elected = on_elected
        self._on_lost = on_lost
        self._retry = retry_seconds
        self._namespace = namespace
        self._stop = threading.Event()
        self._conn: Connection | None = None
        self._thread: threading.Thread | None = None
        self.is_leader = False
        self.key: int | None = None

    def start(self) -> None:
        """Begin campaigning in a daemon thread."""
        self._thread = threading.Thread(target=self._loop, name="leader-election", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop campaigning and give up the lock (so a follower takes over at once)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._engine.dispose()

    def leader_present(self) -> bool | None:
        """Whether any instance holds the lock (None when the database cannot be asked)."""
        if self.key is None:
            return None
        try:
            with self._engine.connect() as conn:
                count = conn.execute(
                    text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                         " AND classid::bigint = :hi AND objid::bigint = :lo AND objsubid = 1"),
                    {"hi": (self.key >> 32) & 0xFFFFFFFF, "lo": self.key & 0xFFFFFFFF},
                ).scalar_one()
            return bool(count)
        except SQLAlchemyError:
            return None

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.is_leader:
                self._check_still_leader()
            else:
                self._campaign()
            self._stop.wait(self._retry)
        self._resign()

    def _campaign(self) -> None:
        try:
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as exc:
            log.warning("leader election: cannot connect: %s", _short(exc))
            return
        try:
            if self.key is None:
                database, schema = conn.execute(
                    text("SELECT current_database(), current_schema()")
                ).one()
                self.key = advisory_key(self._namespace, str(database), str(schema))
            won = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
            if not won.scalar_one():
                conn.close()
                return
        except SQLAlchemyError as exc:
            log.warning("leader election: %s", _short(exc))
            conn.close()
            return
        self._conn = conn
        self.is_leader = True
        log.info("leader election: this instance is now the leader")
        self._on_elected()

    def _check_still_leader(self) -> None:
        assert self._conn is not None
        try:
            self._conn.execute(text("SELECT 1"))
            return
        except SQLAlchemyError as exc:
            log.error("leader election: lost the lock connection (%s); stepping down", _short(exc))
        self.is_leader = False
        self._close_conn()
        self._on_lost()

    def _resign(self) -> None:
        if not self.is_leader:
            return
        self.is_leader = False
        self._on_lost()
        try:
            assert self._conn is not None
            self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except SQLAlchemyError as exc:
            log.warning("leader election: unlock failed (%s); closing releases it", _short(exc))
        self._close_conn()
        log.info("leader election: stepped down")

    def _close_conn(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
            self._conn = None


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]
