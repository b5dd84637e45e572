"""One scheduler per deployment: an instance lock on SQLite, an advisory-lock leader on
PostgreSQL."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from monitor.db.engine import make_engine
from monitor.service.leader import AlreadyRunning, PgLeaderElection, SqliteInstanceLock


def test_second_sqlite_instance_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    database = tmp_path / "data" / "crisiswatch.sqlite"
    first = SqliteInstanceLock(database).acquire()
    with pytest.raises(AlreadyRunning) as info:
        SqliteInstanceLock(database).acquire()
    message = str(info.value)
    assert "another crisiswatch instance" in message
    assert str(database) in message and "PostgreSQL" in message
    assert f"pid {os.getpid()}" in message
    first.release()
    SqliteInstanceLock(database).acquire().release()  # free again once released


class _Candidate:
    def __init__(self, url: str, name: str, log: list[str]) -> None:
        self.name, self.log = name, log
        self.elected = threading.Event()
        self.election = PgLeaderElection(
            make_url(url), on_elected=self._won, on_lost=self._lost, retry_seconds=0.2
        )

    def _won(self) -> None:
        self.log.append(f"{self.name} elected")
        self.elected.set()

    def _lost(self) -> None:
        self.log.append(f"{self.name} lost")
        self.elected.clear()


def _wait(condition: object, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_one_leader_and_a_follower_takes_over_when_it_goes(pg_url: str) -> None:
    log: list[str] = []
    a, b = _Candidate(pg_url, "a", log), _Candidate(pg_url, "b", log)
    a.election.start()
    assert a.elected.wait(20)
    b.election.start()
    time.sleep(1.0)  # b campaigns several times meanwhile
    assert not b.election.is_leader
    assert b.election.leader_present() is True
    a.election.stop()
    assert b.elected.wait(20)
    assert log == ["a elected", "a lost", "b elected"]
    b.election.stop()
    c = _Candidate(pg_url, "c", log)  # b gave the lock up on stop
    c.election.start()
    assert c.elected.wait(20)
    c.election.stop()


def test_a_leader_whose_connection_dies_steps_down(pg_url: str) -> None:
    log: list[str] = []
    a, b = _Candidate(pg_url, "a", log), _Candidate(pg_url, "b", log)
    a.election.start()
    assert a.elected.wait(20)
    b.election.start()
    # the leader's lock connection is cut (as when its host or network fails)
    admin = make_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
            "AND granted AND pid <> pg_backend_pid()"
            " AND classid::bigint = :hi AND objid::bigint = :lo"),
            {"hi": (a.election.key or 0) >> 32 & 0xFFFFFFFF, "lo": (a.election.key or 0)
             & 0xFFFFFFFF})
    admin.dispose()
    assert _wait(lambda: "a lost" in log)
    assert b.elected.wait(20)
    a.election.stop()
    b.election.stop()
    assert log[:1] == ["a elected"] and "b elected" in log


def test_different_schemas_elect_separately(pg_url: str) -> None:
    import uuid

    other_schema = f"cw_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{other_schema}"'))
    try:
        other = pg_url.rsplit("search_path%3D", 1)[0] + f"search_path%3D{other_schema}"
        log: list[str] = []
        a, b = _Candidate(pg_url, "a", log), _Candidate(other, "b", log)
        a.election.start()
        b.election.start()
        assert a.elected.wait(20) and b.elected.wait(20)
        assert a.election.key != b.election.key
        a.election.stop()
        b.election.stop()
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{other_schema}" CASCADE'))
        admin.dispose()
