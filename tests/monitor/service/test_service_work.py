"""The work queue: idempotent enqueue, leases, retries, dead items, and SKIP LOCKED claims."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.engine import make_engine, session_factory
from monitor.db.migrate import upgrade
from monitor.db.models import WorkItem
from monitor.instance import instance_name
from monitor.service.scheduler import Every, Job
from monitor.service.work import Work, WorkerPool, WorkQueue


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = (f"sqlite:///{tmp_path / 'q.sqlite'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


def _queue(sessions: sessionmaker[Session], clock: Any, owner: str = "a",
           lease: float = 60) -> WorkQueue:
    return WorkQueue(sessions, owner=owner, lease=timedelta(seconds=lease), clock=clock)


def test_enqueue_is_idempotent_per_key_and_claims_go_oldest_first(
    sessions: sessionmaker[Session], shift_clock: Any
) -> None:
    q = _queue(sessions, shift_clock)
    assert q.enqueue([Work("poll:a", "poll:a"), Work("poll:b", "poll:b")]) == 2
    assert q.enqueue([Work("poll:a", "poll:a"), Work("poll:a", "poll:a")]) == 0
    first = q.claim()
    assert first is not None and first.key == "poll:a" and first.attempts == 1
    # while poll:a is claimed, enqueueing it again (the next firing) is still a no-op
    assert q.enqueue([Work("poll:a", "poll:a")]) == 0
    second = q.claim()
    assert second is not None and second.key == "poll:b"
    assert q.claim() is None
    q.complete(first)
    assert q.enqueue([Work("poll:a", "poll:a")]) == 1


def test_an_expired_lease_is_claimed_again_and_the_old_owner_cannot_complete_it(
    sessions: sessionmaker[Session], shift_clock: Any
) -> None:
    dead = _queue(sessions, shift_clock, owner="dead", lease=10)
    alive = _queue(sessions, shift_clock, owner="alive", lease=10)
    dead.enqueue([Work("tick", "escalation", {"n": 1})])
    lost = dead.claim()
    assert lost is not None
    assert alive.claim() is None
    shift_clock.advance(seconds=11)
    taken = alive.claim()
    assert taken is not None and taken.id == lost.id and taken.attempts == 2
    assert taken.payload == {"n": 1}
    dead.complete(lost)  # too late: the item belongs to "alive" now
    with sessions() as session:
        assert session.scalar(select(WorkItem.claimed_by)) == "alive"
    assert alive.renew([taken.id]) == {taken.id}
    assert dead.renew([taken.id]) == set()
    shift_clock.advance(seconds=9)
    assert dead.claim() is None  # renewed lease still holds
    alive.complete(taken)
    with sessions() as session:
        assert session.scalars(select(WorkItem)).all() == []


def test_retry_later_release_and_bury(sessions: sessionmaker[Session], shift_clock: Any) -> None:
    q = _queue(sessions, shift_clock)
    q.enqueue([Work("digest", "digest")])
    item = q.claim()
    assert item is not None
    q.retry_later(item, error="smtp down", delay=timedelta(minutes=1))
    assert q.claim() is None
    shift_clock.advance(minutes=1, seconds=1)
    again = q.claim()
    assert again is not None and again.attempts == 2
    q.release([again.id])  # shutdown: back at once, the interrupted attempt not counted
    back = q.claim()
    assert back is not None and back.attempts == 2
    q.bury(back, reason="gave up")
    assert q.claim() is None
    assert q.enqueue([Work("digest", "digest")]) == 1  # the key is free again
    with sessions() as session:
        dead = session.scalars(select(WorkItem).where(WorkItem.status == "dead")).one()
        assert dead.last_error == "gave up" and dead.key.startswith("digest#dead")
    counts = q.counts()
    assert counts["dead"] == 1 and counts["queued"] == 1 and counts["running"] == 0
    weekly = q.claim()
    assert weekly is not None
    q.complete(weekly, keep=True)  # done for good: this key is never queued again
    assert q.enqueue([Work("digest", "digest")]) == 0
    assert q.claim() is None


def test_workers_run_items_retry_failures_and_set_aside_poison(
    sessions: sessionmaker[Session], shift_clock: Any
) -> None:
    ran: list[str] = []
    abandoned: list[str] = []
    observed: list[tuple[str, str]] = []
    done = threading.Event()

    def good(payload: Mapping[str, Any]) -> None:
        ran.append(str(payload["n"]))
        if len(ran) == 3:
            done.set()

    def bad(payload: Mapping[str, Any]) -> None:
        raise ValueError("boom")

    class Observer:
        def job_finished(self, *, kind: str, outcome: str, seconds: float) -> None:
            observed.append((kind, outcome))

    jobs = {
        "good": Job(name="good", kind="poll", trigger=Every(timedelta(seconds=1)), action=good),
        "bad": Job(name="bad", kind="inbox", trigger=Every(timedelta(seconds=1)), action=bad,
                   on_abandon=lambda payload, reason: abandoned.append(reason)),
    }
    q = _queue(sessions, shift_clock)
    q.enqueue([Work(f"good:{n}", "good", {"n": n}) for n in range(3)] + [Work("bad:1", "bad")])
    stop = threading.Event()
    pool = WorkerPool(q, jobs=jobs, stop=stop, size=2, max_attempts=2, idle_wait=0.05,
                      retry_base=timedelta(seconds=0), observer=Observer())
    pool.start()
    try:
        assert done.wait(20)
        deadline = threading.Event()
        for _ in range(200):
            if abandoned:
                break
            deadline.wait(0.05)
    finally:
        stop.set()
        assert pool.join(10) == []
    assert sorted(ran) == ["0", "1", "2"]
    assert abandoned == ["claimed 2 times without finishing; set aside"]
    assert observed.count(("poll", "ok")) == 3
    assert observed.count(("inbox", "error")) == 2
    assert ("inbox", "dead") in observed


def test_concurrent_claims_never_share_an_item(pg_url: str) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    sessions = session_factory(engine)
    from datetime import UTC, datetime

    def clock() -> datetime:
        return datetime.now(UTC)

    _queue(sessions, clock).enqueue([Work(f"k{n}", "job") for n in range(120)])
    claimed: dict[str, list[str]] = {}
    barrier = threading.Barrier(6)

    def claimer(owner: str) -> None:
        q = _queue(sessions, clock, owner=owner)
        barrier.wait()
        mine = claimed.setdefault(owner, [])
        while (item := q.claim()) is not None:
            mine.append(item.key)

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    keys = [k for ks in claimed.values() for k in ks]
    assert sorted(keys) == sorted(f"k{n}" for n in range(120))
    assert len(set(keys)) == len(keys)
    engine.dispose()


def test_a_restarted_instance_takes_back_its_predecessors_work_at_once(
    sessions: sessionmaker[Session], shift_clock: Any
) -> None:
    me = instance_name()
    host, pid, _ = me.rsplit(":", 2)
    # The process this one replaced (same pid after a container restart, another token).
    before = _queue(sessions, shift_clock, owner=f"{host}:{pid}:0dead0", lease=600)
    before.enqueue([Work("dispatch", "dispatch")])
    assert before.claim() is not None
    elsewhere = _queue(sessions, shift_clock, owner="other-host:77:beef", lease=600)
    assert elsewhere.claim() is None  # another host cannot tell: it waits for the lease
    item = _queue(sessions, shift_clock, owner=me, lease=600).claim()
    assert item is not None and item.key == "dispatch" and item.attempts == 2
