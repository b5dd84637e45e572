"""The outbox dispatcher: claim due alerts, send them, record each outcome.

Delivery is at least once. A row is marked sent only after its channel returned, in a
transaction of its own; if the process dies between the channel's answer and that commit, the
row's lease (``DispatchPolicy.lease``) runs out, or a dispatcher replacing it on the same host
takes the row back at once, and the row is sent again: at most one duplicate
per crash, which receivers can drop by the delivery key (webhook ``X-Crisiswatch-Delivery``,
Slack message metadata ``incident_id`` + ``event``, email Message-ID).

Order: the alerts of one incident on one channel go out in the order they were committed
(``Alert.seq``); while an earlier one waits for a retry the later ones wait too, so a Slack
thread never shows an update before its root. A dead-lettered alert no longer holds the others
back (the next event then starts a new root message). Burst grouping and claiming are in
``monitor.alerting.claim``.

Failures: a retryable one is retried (``alerts.backoff.RetryPolicy``) until the delivery has
been failing for the retry budget, counted from its first failure (``Alert.failing_since``);
a permanent one is dead-lettered at once.

Claims: each claimed row records its owner (``worker_id``, a ``monitor.instance`` name in the
service and the CLI); a dispatcher that replaces a killed one on the same host takes the
killed one's rows at once. Sending stops at three quarters of the lease and the rest of the
batch is released, so another host waits at most one lease for a killed dispatcher's rows.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from alerts.channel import Channel
from alerts.errors import DeliveryError
from alerts.message import AlertMessage, DeliveryResult, ThreadRef
from monitor.alerting.channel_map import ChannelMap as ChannelMap
from monitor.alerting.channel_map import DispatchPolicy as DispatchPolicy
from monitor.alerting.claim import ClaimConflict, ClaimedRow, claim_batch
from monitor.alerting.outbox import payload_to_message
from monitor.clock import Clock, utcnow
from monitor.db.models import Alert, AlertThread

log = logging.getLogger(__name__)


class AlertStateError(Exception):
    """An outbox row cannot be changed as asked (unknown id, or not dead-lettered)."""


@dataclass(frozen=True)
class DispatchStats:
    """What one round (or several, added up) did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    folded: int = 0
    digests: int = 0
    held: int = 0
    deferred: int = 0
    released: int = 0
    suppressed: int = 0
    conflicts: int = 0
    worker_id: str = ""

    def __add__(self, other: DispatchStats) -> DispatchStats:
        counts = {
            f.name: getattr(self, f.name) + getattr(other, f.name)
            for f in dataclasses.fields(self)
            if f.name != "worker_id"
        }
        return DispatchStats(**counts, worker_id=self.worker_id or other.worker_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return dataclasses.asdict(self)

    @property
    def failure(self) -> str | None:
        """Why this dispatch failed (alerts were dead-lettered), or None."""
        if not self.dead:
            return None
        alerts = "1 alert" if self.dead == 1 else f"{self.dead} alerts"
        return f"{alerts} dead-lettered: see `crisiswatch alerts --failed`"


def as_channel_map(channels: ChannelMap | Mapping[str, Channel]) -> ChannelMap:
    """Accept a ChannelMap (e.g. alerting.channels.ChannelSet) or a plain mapping of channels."""
    return channels if isinstance(channels, ChannelMap) else ChannelMap(channels)


def dispatch_once(
    *,
    sessions: sessionmaker[Session],
    channels: ChannelMap | Mapping[str, Channel],
    policy: DispatchPolicy,
    clock: Clock = utcnow,
    rng: random.Random | None = None,
    worker_id: str = "dispatcher",
    limit: int = 100,
    max_workers: int = 4,
) -> DispatchStats:
    """Claim up to ``limit`` due alerts, send them (one thread per channel), record outcomes."""
    directory = as_channel_map(channels)
    rng = rng or random.Random()
    now = clock()
    lease_until = now + policy.lease
    with sessions() as session:
        try:
            claim = claim_batch(
                session, now=now, lease_until=lease_until, limit=limit,
                grouping=policy.grouping, directory=directory, owner=worker_id,
            )
            session.commit()
        except ClaimConflict as exc:
            session.rollback()
            log.info("dispatcher %s: %s", worker_id, exc)
            return DispatchStats(conflicts=1, worker_id=worker_id)
    stats = DispatchStats(
        claimed=len(claim.rows), folded=claim.folded, digests=claim.digests, held=claim.held,
        deferred=claim.deferred, suppressed=claim.suppressed, dead=claim.dead,
        worker_id=worker_id,
    )
    by_channel: dict[str, list[ClaimedRow]] = {}
    for row in claim.rows:
        by_channel.setdefault(row.channel, []).append(row)
    sender = _Sender(
        sessions=sessions, policy=policy, clock=clock, rng=rng, lease_until=lease_until,
    )
    jobs = [(directory.get(name), rows) for name, rows in by_channel.items()]
    if len(jobs) <= 1 or max_workers <= 1:
        results = [sender.run(channel, rows) for channel, rows in jobs]
    else:
        with ThreadPoolExecutor(max_workers=min(max_workers, len(jobs))) as pool:
            results = list(pool.map(lambda job: sender.run(*job), jobs))
    for result in results:
        stats = stats + result
    return stats


@dataclass
class _Sender:
    sessions: sessionmaker[Session]
    policy: DispatchPolicy
    clock: Clock
    rng: random.Random
    lease_until: datetime

    def run(self, channel: Channel | None, rows: Sequence[ClaimedRow]) -> DispatchStats:
        """Send one channel's rows in order; a retrying row holds back its incident's later ones."""
        counts: dict[str, int] = {"sent": 0, "retried": 0, "dead": 0, "released": 0}
        threads = self._threads(rows)
        waiting: set[int] = set()
        stop_at = self.lease_until - self.policy.lease / 4
        for row in rows:
            if (row.incident_id is not None and row.incident_id in waiting) or (
                channel is None or self.clock() >= stop_at
            ):
                self._release(row)
                counts["released"] += 1
                continue
            outcome, thread = self._deliver(channel, row, threads.get(row.incident_id))
            counts[outcome] += 1
            if row.incident_id is not None:
                if outcome == "retried":
                    waiting.add(row.incident_id)
                elif thread is not None and row.event != "digest":
                    threads[row.incident_id] = thread
        return DispatchStats(
            sent=counts["sent"], retried=counts["retried"], dead=counts["dead"],
            released=counts["released"],
        )

    def _deliver(
        self, channel: Channel, row: ClaimedRow, thread: ThreadRef | None
    ) -> tuple[str, ThreadRef | None]:
        try:
            message = self._message(row)
        except (TypeError, ValueError, KeyError) as exc:
            reason = f"unreadable payload ({type(exc).__name__}: {str(exc)[:200]})"
            return self._record_dead(row, reason), None
        try:
            result = channel.send(message=message, thread=thread)
        except DeliveryError as exc:
            return self._record_failure(row, exc), None
        except Exception as exc:  # noqa: BLE001 - a channel bug must not stop the dispatcher
            log.exception("channel %s failed on alert %s", row.channel, row.id)
            reason = f"internal error in channel {row.channel!r}: {type(exc).__name__}: {exc}"
            return self._record_dead(row, reason[:1000]), None
        self._record_success(row, result)
        return "sent", result.thread

    def _message(self, row: ClaimedRow) -> AlertMessage:
        message = payload_to_message(dict(row.payload))
        changes: dict[str, Any] = {}
        if row.drill and not message.drill:
            changes["drill"] = True
        base = self.policy.dashboard_url
        if base and message.dashboard_url is None and message.event != "digest":
            changes["dashboard_url"] = f"{base.rstrip('/')}/incidents/{message.incident_id}"
        return dataclasses.replace(message, **changes) if changes else message

    def _threads(self, rows: Sequence[ClaimedRow]) -> dict[int | None, ThreadRef]:
        incidents = {r.incident_id for r in rows if r.incident_id is not None}
        if not incidents:
            return {}
        with self.sessions() as session:
            found = session.scalars(
                select(AlertThread).where(
                    AlertThread.channel == rows[0].channel,
                    AlertThread.incident_id.in_(incidents),
                )
            )
            return {t.incident_id: ThreadRef(t.thread_id, t.conversation) for t in found}

    def _record_success(self, row: ClaimedRow, result: DeliveryResult) -> None:
        now = self.clock()
        warning = "; ".join(result.warnings)[:1000] or None
        for attempt in range(2):
            try:
                with self.sessions.begin() as session:
                    session.execute(
                        update(Alert)
                        .where(Alert.id == row.id, Alert.status == "pending")
                        .values(
                            status="sent", sent_at=now, attempts=row.attempts + 1,
                            remote_id=(result.remote_id or None) and result.remote_id[:255],
                            claimed_until=None, claimed_by=None, last_error=warning,
                            failing_since=None,
                        )
                    )
                    if result.thread is not None and row.incident_id is not None:
                        _store_thread(session, row, result.thread, now)
                return
            except IntegrityError:
                if attempt:
                    raise  # a thread row keeps appearing: not a race, let the loop log it

    def _record_failure(self, row: ClaimedRow, error: DeliveryError) -> str:
        attempt = row.attempts + 1
        now = self.clock()
        failing_since = row.failing_since or now
        decision = self.policy.retry.decide(
            attempt=attempt, error=error, rng=self.rng,
            failing_for=max(0.0, (now - failing_since).total_seconds()),
        )
        if not decision.retry or decision.delay is None:
            return self._record_dead(row, decision.reason)
        with self.sessions.begin() as session:
            session.execute(
                update(Alert)
                .where(Alert.id == row.id, Alert.status == "pending")
                .values(
                    attempts=attempt, last_error=decision.reason[:1000], claimed_until=None,
                    claimed_by=None, failing_since=failing_since,
                    next_attempt_at=now + timedelta(seconds=decision.delay),
                )
            )
        log.info("alert %s to %s failed (attempt %d): %s", row.id, row.channel, attempt, error)
        return "retried"

    def _record_dead(self, row: ClaimedRow, reason: str) -> str:
        with self.sessions.begin() as session:
            session.execute(
                update(Alert)
                .where(Alert.id == row.id, Alert.status == "pending")
                .values(
                    status="dead", attempts=row.attempts + 1, last_error=reason[:1000],
                    claimed_until=None, claimed_by=None,
                )
            )
        log.warning("alert %s to %s dead-lettered: %s", row.id, row.channel, reason)
        return "dead"

    def _release(self, row: ClaimedRow) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(Alert)
                .where(Alert.id == row.id, Alert.status == "pending",
                       Alert.claimed_until == self.lease_until)
                .values(claimed_until=None, claimed_by=None)
            )


def _store_thread(session: Session, row: ClaimedRow, thread: ThreadRef, now: datetime) -> None:
    assert row.incident_id is not None
    existing = session.get(AlertThread, (row.incident_id, row.channel))
    if existing is None:
        session.add(
            AlertThread(
                incident_id=row.incident_id, channel=row.channel, thread_id=thread.thread_id,
                conversation=thread.conversation, updated_at=now,
            )
        )
        session.flush()
    elif (existing.thread_id, existing.conversation) != (thread.thread_id, thread.conversation):
        existing.thread_id = thread.thread_id
        existing.conversation = thread.conversation
        existing.updated_at = now


def retry_alert(session: Session, *, alert_id: int, now: datetime) -> Alert:
    """Put a dead-lettered alert back in the queue, due now, with its attempts reset."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertStateError(f"alert {alert_id}: no such alert")
    if alert.status != "dead":
        raise AlertStateError(f"alert {alert_id}: is {alert.status}, only dead alerts are retried")
    alert.status = "pending"
    alert.attempts = 0
    alert.next_attempt_at = now
    alert.claimed_until = None
    alert.claimed_by = None
    alert.failing_since = None
    alert.last_error = f"retried by hand; previously: {alert.last_error or 'no error recorded'}"
    session.flush()
    return alert


def retry_dead_alerts(session: Session, *, now: datetime) -> list[int]:
    """Re-queue every dead-lettered alert; return their ids."""
    ids = list(session.scalars(select(Alert.id).where(Alert.status == "dead").order_by(Alert.id)))
    for alert_id in ids:
        retry_alert(session, alert_id=alert_id, now=now)
    return ids


def dispatch_due(
    *,
    sessions: sessionmaker[Session],
    channels: ChannelMap,
    policy: DispatchPolicy,
    clock: Callable[[], datetime],
    worker_id: str,
    limit: int = 100,
    max_rounds: int = 1000,
) -> DispatchStats:
    """Dispatch until nothing more is due now (bounded), e.g. at the end of a CLI command."""
    total = DispatchStats(worker_id=worker_id)
    rng = random.Random()
    for _ in range(max_rounds):
        stats = dispatch_once(sessions=sessions, channels=channels, policy=policy, clock=clock,
                              rng=rng, worker_id=worker_id, limit=limit)
        total = total + stats
        if stats.claimed < limit and not stats.conflicts:
            break
    return total


def run_dispatcher(
    *,
    sessions: sessionmaker[Session],
    channels: ChannelMap | Mapping[str, Channel],
    policy: DispatchPolicy,
    stop: threading.Event,
    interval: float = 0.1,
    clock: Clock = utcnow,
    rng: random.Random | None = None,
    worker_id: str = "dispatcher",
    limit: int = 100,
    on_round: Callable[[DispatchStats], None] | None = None,
) -> DispatchStats:
    """Dispatch until ``stop`` is set: straight on while busy, every ``interval`` s when idle."""
    total = DispatchStats(worker_id=worker_id)
    failures = 0
    while not stop.is_set():
        try:
            stats = dispatch_once(
                sessions=sessions, channels=channels, policy=policy, clock=clock, rng=rng,
                worker_id=worker_id, limit=limit,
            )
        except SQLAlchemyError as exc:
            failures += 1
            log.warning("dispatcher %s: database error (%s); backing off", worker_id, exc)
            stop.wait(min(30.0, interval * 2**failures))
            continue
        failures = 0
        total = total + stats
        if on_round is not None:
            on_round(stats)
        if stats.claimed < limit and not stats.conflicts:
            stop.wait(interval)
    return total
