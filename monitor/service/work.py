"""The work queue: the leader enqueues due work, every instance's workers claim and run it.

A row per outstanding unit of work (``work_items``), unique by ``key`` so that enqueueing the
same poll twice is a no-op while the first is queued or running. Workers claim with
``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite, one process, serialises writes) and
hold a lease they renew while the work runs. A worker that dies stops renewing: once the lease
runs out the item is claimed again (at least once; every job is idempotent); an instance that
replaces a killed one on the same host takes the killed one's items at once
(``monitor.instance.owner_is_gone``). An item claimed
more than ``max_attempts`` times is set aside as dead, with its last error, and its key freed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from monitor.clock import Clock
from monitor.db.models import WorkItem
from monitor.instance import gone_owners
from monitor.service.logging import log_context

log = logging.getLogger(__name__)

ERROR_CHARS = 2000


class RenewAlso(Protocol):
    """What else this instance's work holds a lease on (its ingest runs), renewed with it."""

    def __call__(self, session: Session, until: datetime) -> None: ...


@dataclass(frozen=True)
class Work:
    """One unit of due work: ``job`` names a registered job; ``key`` is unique while queued."""

    key: str
    job: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Claimed:
    """A work item this instance holds the lease on."""

    id: int
    key: str
    job: str
    payload: dict[str, Any]
    attempts: int


class WorkQueue:
    """The ``work_items`` table, seen by one instance (``owner``)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        owner: str,
        lease: timedelta,
        clock: Clock,
        renew_also: RenewAlso | None = None,
    ) -> None:
        self.sessions = sessions
        self.owner = owner
        self.lease = lease
        self.clock = clock
        self.renew_also = renew_also

    def enqueue(self, works: Sequence[Work]) -> int:
        """Queue ``works``; keys already queued are left alone. Returns how many were added."""
        if not works:
            return 0
        now = self.clock()
        rows = [
            {"key": w.key[:255], "job": w.job, "payload": dict(w.payload), "status": "queued",
             "available_at": now, "enqueued_at": now, "attempts": 0}
            for w in {w.key: w for w in works}.values()
        ]
        with self.sessions.begin() as session:
            dialect = postgresql if _is_pg(session) else sqlite
            stmt = dialect.insert(WorkItem.__table__).values(rows)
            stmt = stmt.on_conflict_do_nothing(index_elements=["key"])
            return len(session.execute(stmt.returning(WorkItem.__table__.c.id)).all())

    def claim(self) -> Claimed | None:
        """Take the lease on the oldest available item, or None when there is none."""
        now = self.clock()
        with self.sessions() as session:
            owners = session.scalars(
                select(WorkItem.claimed_by).distinct().where(
                    WorkItem.status == "queued", WorkItem.claimed_until >= now
                )
            ).all()
        gone = gone_owners(owners, me=self.owner)
        free = or_(WorkItem.claimed_until.is_(None), WorkItem.claimed_until < now,
                   WorkItem.claimed_by.in_(gone))
        pick = (
            select(WorkItem.id)
            .where(WorkItem.status == "queued", WorkItem.available_at <= now, free)
            .order_by(WorkItem.available_at, WorkItem.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        stmt = (
            update(WorkItem)
            .where(WorkItem.id == pick, free)
            .values(claimed_by=self.owner, claimed_until=now + self.lease,
                    attempts=WorkItem.attempts + 1)
            .returning(WorkItem.id, WorkItem.key, WorkItem.job, WorkItem.payload,
                       WorkItem.attempts)
            .execution_options(synchronize_session=False)
        )
        with self.sessions.begin() as session:
            row = session.execute(stmt).first()
        if row is None:
            return None
        return Claimed(id=row.id, key=row.key, job=row.job, payload=dict(row.payload or {}),
                       attempts=row.attempts)

    def renew(self, ids: Collection[int]) -> set[int]:
        """Extend the leases on ``ids`` that are still ours; returns the ids renewed."""
        if not ids:
            return set()
        until = self.clock() + self.lease
        with self.sessions.begin() as session:
            rows = session.execute(
                update(WorkItem)
                .where(WorkItem.id.in_(list(ids)), WorkItem.claimed_by == self.owner)
                .values(claimed_until=until)
                .returning(WorkItem.id)
                .execution_options(synchronize_session=False)
            ).all()
            if self.renew_also is not None:
                self.renew_also(session, until)
            return {row.id for row in rows}

    def complete(self, item: Claimed, *, keep: bool = False) -> None:
        """The work is done: remove it, or with ``keep`` mark it done so its key never runs
        again (unless another worker took it over meanwhile)."""
        mine = (WorkItem.id == item.id, WorkItem.claimed_by == self.owner)
        with self.sessions.begin() as session:
            if keep:
                session.execute(
                    update(WorkItem).where(*mine)
                    .values(status="done", claimed_by=None, claimed_until=None)
                    .execution_options(synchronize_session=False)
                )
            else:
                session.execute(
                    delete(WorkItem).where(*mine).execution_options(synchronize_session=False)
                )

    def retry_later(self, item: Claimed, *, error: str, delay: timedelta) -> None:
        """The work failed: give it back, available again after ``delay``."""
        with self.sessions.begin() as session:
            session.execute(
                update(WorkItem)
                .where(WorkItem.id == item.id, WorkItem.claimed_by == self.owner)
                .values(claimed_by=None, claimed_until=None, last_error=error[:ERROR_CHARS],
                        available_at=self.clock() + delay)
                .execution_options(synchronize_session=False)
            )

    def release(self, ids: Collection[int]) -> None:
        """Give unfinished items back at once (shutdown); the interrupted attempt is not counted."""
        if not ids:
            return
        with self.sessions.begin() as session:
            session.execute(
                update(WorkItem)
                .where(WorkItem.id.in_(list(ids)), WorkItem.claimed_by == self.owner)
                .values(claimed_by=None, claimed_until=None,
                        attempts=case((WorkItem.attempts > 0, WorkItem.attempts - 1), else_=0))
                .execution_options(synchronize_session=False)
            )

    def release_all(self) -> int:
        """Free every lease (only for a single instance starting up: nobody else can hold one)."""
        with self.sessions.begin() as session:
            result = session.execute(
                update(WorkItem)
                .where(WorkItem.claimed_by.is_not(None))
                .values(claimed_by=None, claimed_until=None)
                .execution_options(synchronize_session=False)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def bury(self, item: Claimed, *, reason: str) -> None:
        """Set an item aside as dead (kept for inspection) and free its key."""
        with self.sessions.begin() as session:
            session.execute(
                update(WorkItem)
                .where(WorkItem.id == item.id)
                .values(status="dead", key=f"{item.key[:200]}#dead{item.id}", claimed_by=None,
                        claimed_until=None, last_error=reason[:ERROR_CHARS])
                .execution_options(synchronize_session=False)
            )

    def counts(self) -> dict[str, float]:
        """Queued, running and dead items, and the age in seconds of the oldest available one."""
        now = self.clock()
        with self.sessions() as session:
            running = session.scalar(
                select(func.count()).where(WorkItem.status == "queued",
                                           WorkItem.claimed_until >= now)
            ) or 0
            by_status = dict(
                session.execute(select(WorkItem.status, func.count()).group_by(WorkItem.status))
                .all()
            )
            oldest = session.scalar(
                select(func.min(WorkItem.available_at)).where(
                    WorkItem.status == "queued", WorkItem.available_at <= now,
                    or_(WorkItem.claimed_until.is_(None), WorkItem.claimed_until < now),
                )
            )
        return {
            "queued": float(by_status.get("queued", 0) - running),
            "running": float(running),
            "dead": float(by_status.get("dead", 0)),
            "oldest_age_seconds": (now - oldest).total_seconds() if oldest else 0.0,
        }


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


class Runnable(Protocol):
    """What a worker needs of a registered job."""

    @property
    def kind(self) -> str:
        """Metric label of the job."""

    @property
    def keep_done(self) -> bool:
        """Whether finished work keeps its key (run once per key, ever)."""

    def run(self, payload: Mapping[str, Any]) -> object:
        """Do the work."""

    def log_ids(self, payload: Mapping[str, Any]) -> dict[str, object]:
        """Ids for every log line of this work (e.g. source_id)."""

    def abandon(self, payload: Mapping[str, Any], reason: str) -> None:
        """Clean up after work set aside as dead."""


class JobObserver(Protocol):
    """Where a worker reports each run (metrics)."""

    def job_finished(self, *, kind: str, outcome: str, seconds: float) -> None:
        """One run of one job: ``outcome`` is ok, error or dead."""


@dataclass
class WorkerPool:
    """``size`` threads claiming and running work until ``stop`` is set, plus a lease renewer."""

    queue: WorkQueue
    jobs: Mapping[str, Runnable]
    stop: threading.Event
    size: int = 2
    max_attempts: int = 5
    idle_wait: float = 1.0
    retry_base: timedelta = timedelta(seconds=30)
    observer: JobObserver | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _inflight: dict[int, Claimed] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _wake: threading.Event = field(default_factory=threading.Event)
    _drained: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        """Start the workers and the lease renewer (daemon threads)."""
        for n in range(self.size):
            thread = threading.Thread(target=self._work, name=f"worker-{n + 1}", daemon=True)
            thread.start()
            self._threads.append(thread)
        renewer = threading.Thread(target=self._renew, name="lease-renewer", daemon=True)
        renewer.start()
        self._threads.append(renewer)

    def wake(self) -> None:
        """New work was queued: idle workers look at once."""
        self._wake.set()

    def alive(self) -> int:
        """Worker threads still running."""
        return sum(1 for t in self._threads if t.is_alive() and t.name.startswith("worker-"))

    def inflight(self) -> list[Claimed]:
        """Items being worked on right now."""
        with self._lock:
            return list(self._inflight.values())

    def join(self, timeout: float) -> list[Claimed]:
        """Wait up to ``timeout`` s for the workers to finish (``stop`` must be set); return what
        is still running, after giving it back to the queue for another instance."""
        self._wake.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.name.startswith("worker-"):
                thread.join(max(0.0, deadline - time.monotonic()))
        self._drained.set()
        unfinished = self.inflight()
        if unfinished:
            try:
                self.queue.release([item.id for item in unfinished])
            except SQLAlchemyError as exc:
                log.warning("could not give back unfinished work: %s", exc)
        return unfinished

    def _work(self) -> None:
        failures = 0
        while not self.stop.is_set():
            try:
                item = self.queue.claim()
                failures = 0
            except SQLAlchemyError as exc:
                failures += 1
                log.warning("work queue: cannot claim (%s); retrying", _short(exc))
                self.stop.wait(min(30.0, 0.5 * 2**failures))
                continue
            if item is None:
                self._wake.wait(self.idle_wait)
                self._wake.clear()
                continue
            with self._lock:
                self._inflight[item.id] = item
            try:
                self._run(item)
            finally:
                with self._lock:
                    self._inflight.pop(item.id, None)

    def _run(self, item: Claimed) -> None:
        job = self.jobs.get(item.job)
        if job is None:
            log.warning("work %s names job %r, which this version does not have; skipped",
                        item.key, item.job)
            self._settle(lambda: self.queue.retry_later(
                item, error=f"unknown job {item.job!r}", delay=timedelta(minutes=5)))
            return
        with log_context(job=job.kind, work_key=item.key, **job.log_ids(item.payload)):
            if item.attempts > self.max_attempts:
                reason = f"claimed {item.attempts - 1} times without finishing; set aside"
                log.error("work %s: %s", item.key, reason)
                self._settle(lambda: self.queue.bury(item, reason=reason))
                _safely(lambda: job.abandon(item.payload, reason))
                self._observe(job.kind, "dead", 0.0)
                return
            started = time.monotonic()
            try:
                job.run(item.payload)
            except Exception as exc:  # noqa: BLE001 - one failing job must not stop the worker
                log.exception("work %s failed", item.key)
                self._observe(job.kind, "error", time.monotonic() - started)
                delay = self.retry_base * 2 ** max(item.attempts - 1, 0)
                error = _short(exc)
                self._settle(lambda: self.queue.retry_later(item, error=error, delay=delay))
                return
            self._observe(job.kind, "ok", time.monotonic() - started)
            self._settle(lambda: self.queue.complete(item, keep=job.keep_done))

    def _settle(self, action: Callable[[], None]) -> None:
        try:
            action()
        except SQLAlchemyError as exc:
            # the lease runs out and the item is claimed again: at least once
            log.warning("work queue: could not record the outcome (%s)", _short(exc))

    def _observe(self, kind: str, outcome: str, seconds: float) -> None:
        if self.observer is not None:
            self.observer.job_finished(kind=kind, outcome=outcome, seconds=seconds)

    def _renew(self) -> None:
        every = max(0.2, self.queue.lease.total_seconds() / 3)
        # keeps renewing after stop is set: running work may take until the shutdown deadline
        while not self._drained.wait(every):
            ids = [item.id for item in self.inflight()]
            if not ids:
                continue
            try:
                renewed = self.queue.renew(ids)
            except SQLAlchemyError as exc:
                log.warning("work queue: cannot renew leases (%s)", _short(exc))
                continue
            # an item finished meanwhile is not lost; one still running but not renewed is
            lapsed = {item.key for item in self.inflight() if item.id in ids} - {
                item.key for item in self.inflight() if item.id in renewed}
            if lapsed:
                log.warning("work queue: lease lapsed and taken over by another worker, so this "
                            "work may run twice: %s", ", ".join(sorted(lapsed)))


def _safely(action: Callable[[], None]) -> None:
    try:
        action()
    except Exception:  # noqa: BLE001 - clean-up after dead work must never stop a worker
        log.exception("clean-up after dead work failed")


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__
