"""Claiming outbox rows for one dispatcher round, with burst grouping and per-thread order.

One transaction (the caller commits) that:

1. selects due, unclaimed pending rows, oldest first (PostgreSQL: ``FOR UPDATE SKIP LOCKED``,
   so concurrent dispatchers take disjoint rows), leaving out rows queued behind an earlier
   pending row of the same (incident, channel) that is waiting for a retry or claimed
   elsewhere: an incident's thread is posted in order;
2. settles rows for disabled (suppressed) and unusable or unknown (dead) channels;
3. plans "opened" rows per channel with ``alerts.grouping.plan_sends``: individual ones are
   claimed, a burst's overflow is folded into one new "digest" outbox row (itself delivered
   like any other row, with retries), held ones wait until the plan's ``next_check``;
4. claims each row by a conditional UPDATE of ``claimed_until`` (the lease). On SQLite this
   UPDATE is the guard against a second dispatcher; on PostgreSQL the row locks are.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Protocol

from sqlalchemy import and_, exists, func, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from alerts.grouping import GroupingPolicy, PendingAlert, SentRecord, plan_sends
from monitor.alerting.outbox import message_to_payload, payload_to_message
from monitor.db.models import Alert

MAX_GROUP: Final = 5000


class ClaimConflict(Exception):
    """Another dispatcher changed rows this round wanted to fold; try again next round."""


class ChannelDirectory(Protocol):
    """What the claim needs to know about the configured channels."""

    disabled: frozenset[str]

    def usable(self, name: str) -> bool:
        """True when the channel is configured, enabled and built."""
        ...

    def why_not(self, name: str) -> str:
        """The dead-letter reason for a channel that cannot deliver."""
        ...


@dataclass(frozen=True)
class ClaimedRow:
    """One claimed delivery, as the sender needs it."""

    id: int
    incident_id: int | None
    channel: str
    event: str
    dedup_key: str
    payload: dict[str, Any]
    attempts: int
    drill: bool
    created_at: datetime


@dataclass
class Claim:
    """The rows claimed for this round (in send order) and what else the claim decided."""

    lease_until: datetime
    rows: list[ClaimedRow] = field(default_factory=list)
    folded: int = 0
    digests: int = 0
    held: int = 0
    deferred: int = 0
    suppressed: int = 0
    dead: int = 0


@dataclass
class _Candidate:
    id: int
    incident_id: int | None
    channel: str
    event: str
    attempts: int
    created_at: datetime

    @property
    def order(self) -> tuple[datetime, int]:
        return (self.created_at, self.id)


def claim_batch(
    session: Session,
    *,
    now: datetime,
    lease_until: datetime,
    limit: int,
    grouping: GroupingPolicy,
    directory: ChannelDirectory,
) -> Claim:
    """Claim up to ``limit`` due rows (plus a burst's digest); see the module docstring."""
    postgres = session.get_bind().dialect.name == "postgresql"
    claim = Claim(lease_until=lease_until)
    candidates = _candidates(session, now=now, limit=limit, postgres=postgres)
    candidates = _settle_unusable(session, candidates, directory=directory, claim=claim)
    opened_channels = sorted(
        {c.channel for c in candidates if c.event == "opened" and c.attempts == 0}
    )
    for channel in opened_channels:
        candidates = [c for c in candidates if not _plannable(c, channel)]
        if postgres and not _try_channel_lock(session, channel):
            continue  # another dispatcher is planning this channel's burst right now
        candidates += _plan_channel(
            session, channel=channel, now=now, policy=grouping, claim=claim, postgres=postgres
        )
    candidates.sort(key=lambda c: c.order)
    kept = _hold_back(session, candidates, claim=claim)
    claimed_ids = _take(session, kept, now=now, lease_until=lease_until)
    claim.rows = _load(session, claimed_ids)
    return claim


def _claimable(now: datetime) -> Any:
    return and_(
        Alert.status == "pending",
        or_(Alert.claimed_until.is_(None), Alert.claimed_until <= now),
    )


def _candidates(session: Session, *, now: datetime, limit: int, postgres: bool) -> list[_Candidate]:
    earlier = aliased(Alert)
    busy_before = exists().where(
        earlier.incident_id == Alert.incident_id,
        earlier.channel == Alert.channel,
        earlier.status == "pending",
        or_(
            earlier.created_at < Alert.created_at,
            and_(earlier.created_at == Alert.created_at, earlier.id < Alert.id),
        ),
        or_(earlier.next_attempt_at > now, earlier.claimed_until > now),
    )
    query = (
        select(
            Alert.id, Alert.incident_id, Alert.channel, Alert.event, Alert.attempts,
            Alert.created_at,
        )
        .where(_claimable(now), Alert.next_attempt_at <= now, ~busy_before)
        .order_by(Alert.created_at, Alert.id)
        .limit(limit)
    )
    if postgres:
        query = query.with_for_update(skip_locked=True, of=Alert)
    return [_Candidate(*row) for row in session.execute(query)]


def _settle_unusable(
    session: Session, candidates: list[_Candidate], *, directory: ChannelDirectory, claim: Claim
) -> list[_Candidate]:
    kept: list[_Candidate] = []
    for candidate in candidates:
        if directory.usable(candidate.channel):
            kept.append(candidate)
            continue
        disabled = candidate.channel in directory.disabled
        status = "suppressed" if disabled else "dead"
        reason = f"channel {candidate.channel!r} is disabled" if disabled else directory.why_not(
            candidate.channel
        )
        done = session.execute(
            update(Alert)
            .where(Alert.id == candidate.id, Alert.status == "pending")
            .values(status=status, last_error=reason, claimed_until=None)
        )
        if getattr(done, "rowcount", 0):
            if disabled:
                claim.suppressed += 1
            else:
                claim.dead += 1
    return kept


def _plannable(candidate: _Candidate, channel: str) -> bool:
    return candidate.channel == channel and candidate.event == "opened" and candidate.attempts == 0


def _try_channel_lock(session: Session, channel: str) -> bool:
    key = zlib.crc32(f"crisiswatch-grouping:{channel}".encode())
    return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}).scalar())


def _plan_channel(
    session: Session,
    *,
    channel: str,
    now: datetime,
    policy: GroupingPolicy,
    claim: Claim,
    postgres: bool,
) -> list[_Candidate]:
    """Group this channel's never-tried "opened" rows; return the ones to send now."""
    query = (
        select(Alert.id, Alert.incident_id, Alert.payload, Alert.created_at, Alert.drill)
        .where(_claimable(now), Alert.channel == channel, Alert.event == "opened",
               Alert.attempts == 0)
        .order_by(Alert.created_at, Alert.id)
        .limit(MAX_GROUP)
    )
    if postgres:
        query = query.with_for_update(skip_locked=True, of=Alert)
    rows = list(session.execute(query))
    send_now: list[_Candidate] = []
    # Drills and real incidents are grouped apart: a drill never delays or hides a real alert.
    for drill in (False, True):
        pending: list[PendingAlert] = []
        by_key: dict[str, Any] = {}
        for row in rows:
            if bool(row.drill) != drill:
                continue
            try:
                message = payload_to_message(dict(row.payload))
            except (TypeError, ValueError, KeyError) as exc:
                _dead_payload(session, row.id, exc, claim)
                continue
            # Zero-padded ids: same-time alerts keep their queue order inside plan_sends.
            key = f"{row.id:012d}"
            pending.append(PendingAlert(key=key, message=message, queued_at=row.created_at))
            by_key[key] = row
        if not pending:
            continue
        history = _history(session, channel=channel, now=now, policy=policy, drill=drill)
        decision = plan_sends(pending=pending, history=history, now=now, policy=policy)
        send_now += [
            _Candidate(by_key[p.key].id, by_key[p.key].incident_id, channel, "opened", 0,
                       by_key[p.key].created_at)
            for p in decision.individual
        ]
        if decision.digest is not None:
            digest_row = _fold(session, channel=channel, now=now, digest=decision.digest,
                               folded=[by_key[p.key].id for p in decision.folded])
            claim.folded += len(decision.folded)
            claim.digests += 1
            send_now.append(_Candidate(digest_row.id, None, channel, "digest", 0, now))
        if decision.held and decision.next_check is not None:
            session.execute(
                update(Alert)
                .where(Alert.id.in_([by_key[p.key].id for p in decision.held]))
                .values(next_attempt_at=decision.next_check)
            )
            claim.held += len(decision.held)
    return send_now


def _history(
    session: Session, *, channel: str, now: datetime, policy: GroupingPolicy, drill: bool
) -> list[SentRecord]:
    since = now - policy.group_interval
    mine = and_(Alert.channel == channel, Alert.drill == drill)
    sent = session.scalars(
        select(Alert.sent_at).where(
            mine, Alert.event == "opened", Alert.status == "sent", Alert.sent_at > since
        )
    )
    records = [SentRecord(sent_at=at) for at in sent if at is not None]
    retrying = session.scalar(
        select(func.count()).select_from(Alert).where(
            mine, Alert.event == "opened", Alert.status == "pending", Alert.attempts > 0
        )
    )
    records += [SentRecord(sent_at=now)] * int(retrying or 0)
    digests = session.scalars(
        select(Alert.created_at).where(mine, Alert.event == "digest", Alert.created_at > since)
    )
    records += [SentRecord(sent_at=at, digest=True) for at in digests]
    return records


def _fold(
    session: Session, *, channel: str, now: datetime, digest: Any, folded: Sequence[int]
) -> Alert:
    """Insert the digest row and mark its members folded, naming the digest's key."""
    row = Alert(
        incident_id=None,
        event="digest",
        channel=channel,
        dedup_key=f"{digest.incident_id}|{channel}"[:255],
        payload=message_to_payload(digest),
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        drill=digest.drill,
    )
    session.add(row)
    session.flush()
    done = session.execute(
        update(Alert)
        .where(Alert.id.in_(folded), _claimable(now))
        .values(status="folded", remote_id=row.dedup_key, claimed_until=None)
    )
    if getattr(done, "rowcount", -1) != len(folded):
        raise ClaimConflict(f"rows folded into {row.dedup_key} changed meanwhile")
    return row


def _dead_payload(session: Session, alert_id: int, exc: Exception, claim: Claim) -> None:
    reason = f"unreadable payload ({type(exc).__name__}: {str(exc)[:200]})"
    session.execute(
        update(Alert).where(Alert.id == alert_id).values(status="dead", last_error=reason)
    )
    claim.dead += 1


def _hold_back(session: Session, candidates: list[_Candidate], *, claim: Claim) -> list[_Candidate]:
    """Drop rows queued behind an earlier pending row of the same thread not claimed here."""
    keys = {(c.incident_id, c.channel) for c in candidates if c.incident_id is not None}
    if not keys:
        return candidates
    ids = {c.id for c in candidates}
    rows = session.execute(
        select(Alert.id, Alert.incident_id, Alert.channel, Alert.created_at).where(
            Alert.status == "pending",
            Alert.incident_id.in_({k[0] for k in keys}),
            Alert.channel.in_({k[1] for k in keys}),
        )
    )
    first_blocker: dict[tuple[int | None, str], tuple[datetime, int]] = {}
    for row_id, incident_id, channel, created_at in rows:
        key = (incident_id, channel)
        if row_id in ids or key not in keys:
            continue
        order = (created_at, row_id)
        if key not in first_blocker or order < first_blocker[key]:
            first_blocker[key] = order
    kept = []
    for candidate in candidates:
        blocker = first_blocker.get((candidate.incident_id, candidate.channel))
        if blocker is not None and blocker < candidate.order:
            claim.deferred += 1
        else:
            kept.append(candidate)
    return kept


def _take(
    session: Session, candidates: list[_Candidate], *, now: datetime, lease_until: datetime
) -> list[int]:
    """Set the lease row by row; a row someone else took blocks the rest of its thread."""
    taken: list[int] = []
    lost: set[tuple[int | None, str]] = set()
    for candidate in candidates:
        key = (candidate.incident_id, candidate.channel)
        if candidate.incident_id is not None and key in lost:
            continue
        done = session.execute(
            update(Alert)
            .where(Alert.id == candidate.id, _claimable(now))
            .values(claimed_until=lease_until)
        )
        if getattr(done, "rowcount", 0) == 1:
            taken.append(candidate.id)
        else:
            lost.add(key)
    return taken


def _load(session: Session, ids: Collection[int]) -> list[ClaimedRow]:
    if not ids:
        return []
    rows = session.execute(
        select(
            Alert.id, Alert.incident_id, Alert.channel, Alert.event, Alert.dedup_key,
            Alert.payload, Alert.attempts, Alert.drill, Alert.created_at,
        )
        .where(Alert.id.in_(ids))
        .order_by(Alert.created_at, Alert.id)
    )
    return [ClaimedRow(*row) for row in rows]
