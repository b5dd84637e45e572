"""Claiming outbox rows for one dispatcher round, with burst grouping and per-thread order.

One transaction (the caller commits) that:

1. selects due, unclaimed pending rows, oldest first (PostgreSQL: ``FOR UPDATE SKIP LOCKED``,
   so concurrent dispatchers take disjoint rows), leaving out rows queued behind an earlier
   pending row of the same (incident, channel) that is waiting for a retry or claimed
   elsewhere: an incident's thread is posted in order. "Earlier" is the incident's commit-
   ordered ``Alert.seq`` (see monitor.alerting.outbox), never ``created_at``, so an incident's
   opening alert always precedes its later ones. A claim whose owner is a process on this host
   that has ended (``monitor.instance.owner_is_gone``) counts as unclaimed: a restarted
   dispatcher takes back its predecessor's rows at once;
2. settles rows for disabled (suppressed) and unusable or unknown (dead) channels;
3. plans "opened" rows per channel with ``alerts.grouping.plan_sends``: individual ones are
   claimed, a burst's overflow is folded into one new "digest" outbox row (itself delivered
   like any other row, with retries), held ones wait until the plan's ``next_check``;
4. claims each row by a conditional UPDATE of ``claimed_until`` (the lease) and ``claimed_by``
   (the owner). On SQLite this UPDATE is the guard against a second dispatcher; on PostgreSQL
   the row locks are.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Protocol, TypeVar

from sqlalchemy import and_, exists, func, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from alerts.grouping import GroupingPolicy, PendingAlert, SentRecord, plan_sends
from monitor.alerting.outbox import message_to_payload, payload_to_message
from monitor.db.models import Alert
from monitor.instance import gone_owners

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
    seq: int | None
    failing_since: datetime | None


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
    seq: int | None


class _Ordered(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def incident_id(self) -> int | None: ...
    @property
    def channel(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def seq(self) -> int | None: ...


_T = TypeVar("_T", bound=_Ordered)


def send_order(rows: Sequence[_T]) -> list[_T]:
    """Oldest first, except that each (incident, channel) thread keeps its ``seq`` order."""
    ordered = sorted(rows, key=lambda r: (r.created_at, r.id))
    slots: dict[tuple[int, str], list[int]] = {}
    for index, row in enumerate(ordered):
        if row.incident_id is not None:
            slots.setdefault((row.incident_id, row.channel), []).append(index)
    out = list(ordered)
    for indexes in slots.values():
        thread = sorted((ordered[i] for i in indexes), key=lambda r: (r.seq or 0, r.id))
        for index, row in zip(indexes, thread, strict=True):
            out[index] = row
    return out


def claim_batch(
    session: Session,
    *,
    now: datetime,
    lease_until: datetime,
    limit: int,
    grouping: GroupingPolicy,
    directory: ChannelDirectory,
    owner: str,
) -> Claim:
    """Claim up to ``limit`` due rows (plus a burst's digest) for ``owner``; see the module doc."""
    postgres = session.get_bind().dialect.name == "postgresql"
    claim = Claim(lease_until=lease_until)
    gone = _gone_owners(session, now=now, me=owner)
    free = _claimable(now, gone=gone)
    candidates = _candidates(session, now=now, gone=gone, limit=limit, postgres=postgres)
    candidates = _settle_unusable(session, candidates, directory=directory, claim=claim)
    opened_channels = sorted(
        {c.channel for c in candidates if c.event == "opened" and c.attempts == 0}
    )
    for channel in opened_channels:
        candidates = [c for c in candidates if not _plannable(c, channel)]
        if postgres and not _try_channel_lock(session, channel):
            continue  # another dispatcher is planning this channel's burst right now
        candidates += _plan_channel(
            session, channel=channel, now=now, policy=grouping, claim=claim, postgres=postgres,
            free=free,
        )
    kept = _hold_back(session, send_order(candidates), claim=claim)
    claimed_ids = _take(session, kept, free=free, lease_until=lease_until, owner=owner)
    claim.rows = _load(session, claimed_ids)
    return claim


def _gone_owners(session: Session, *, now: datetime, me: str) -> list[str]:
    """Owners of live claims that are ended processes of this host (see monitor.instance)."""
    owners = session.scalars(
        select(Alert.claimed_by).distinct().where(
            Alert.status == "pending", Alert.claimed_until > now, Alert.claimed_by.is_not(None)
        )
    )
    return gone_owners(owners, me=me)


def _unclaimed(row: Any, now: datetime, gone: Sequence[str]) -> Any:
    """``row`` (Alert or an alias of it) has no claim, an expired one, or one of a gone owner."""
    free = [row.claimed_until.is_(None), row.claimed_until <= now]
    if gone:
        free.append(and_(row.claimed_by.is_not(None), row.claimed_by.in_(gone)))
    return or_(*free)


def _claimable(now: datetime, *, gone: Sequence[str] = ()) -> Any:
    return and_(Alert.status == "pending", _unclaimed(Alert, now, gone))


def _candidates(
    session: Session, *, now: datetime, gone: Sequence[str], limit: int, postgres: bool
) -> list[_Candidate]:
    earlier = aliased(Alert)
    busy_before = exists().where(
        earlier.incident_id == Alert.incident_id,
        earlier.channel == Alert.channel,
        earlier.status == "pending",
        earlier.seq < Alert.seq,
        or_(earlier.next_attempt_at > now, ~_unclaimed(earlier, now, gone)),
    )
    free = _claimable(now, gone=gone)
    query = (
        select(
            Alert.id, Alert.incident_id, Alert.channel, Alert.event, Alert.attempts,
            Alert.created_at, Alert.seq,
        )
        .where(free, Alert.next_attempt_at <= now, ~busy_before)
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
    free: Any,
) -> list[_Candidate]:
    """Group this channel's never-tried "opened" rows; return the ones to send now."""
    query = (
        select(Alert.id, Alert.incident_id, Alert.payload, Alert.created_at, Alert.drill,
               Alert.seq)
        .where(free, Alert.channel == channel, Alert.event == "opened",
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
                       by_key[p.key].created_at, by_key[p.key].seq)
            for p in decision.individual
        ]
        if decision.digest is not None:
            digest_row = _fold(session, channel=channel, now=now, digest=decision.digest,
                               folded=[by_key[p.key].id for p in decision.folded], free=free)
            claim.folded += len(decision.folded)
            claim.digests += 1
            send_now.append(_Candidate(digest_row.id, None, channel, "digest", 0, now, None))
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
    session: Session, *, channel: str, now: datetime, digest: Any, folded: Sequence[int],
    free: Any,
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
        .where(Alert.id.in_(folded), free)
        .values(status="folded", remote_id=row.dedup_key, claimed_until=None, claimed_by=None)
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
        select(Alert.id, Alert.incident_id, Alert.channel, Alert.seq).where(
            Alert.status == "pending",
            Alert.incident_id.in_({k[0] for k in keys}),
            Alert.channel.in_({k[1] for k in keys}),
        )
    )
    first_blocker: dict[tuple[int | None, str], int] = {}
    for row_id, incident_id, channel, seq in rows:
        key = (incident_id, channel)
        if row_id in ids or key not in keys:
            continue
        first_blocker[key] = min(first_blocker.get(key, seq or 0), seq or 0)
    kept = []
    for candidate in candidates:
        blocker = first_blocker.get((candidate.incident_id, candidate.channel))
        if blocker is not None and blocker < (candidate.seq or 0):
            claim.deferred += 1
        else:
            kept.append(candidate)
    return kept


def _take(
    session: Session, candidates: list[_Candidate], *, free: Any, lease_until: datetime,
    owner: str,
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
            .where(Alert.id == candidate.id, free)
            .values(claimed_until=lease_until, claimed_by=owner[:128])
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
            Alert.payload, Alert.attempts, Alert.drill, Alert.created_at, Alert.seq,
            Alert.failing_since,
        )
        .where(Alert.id.in_(ids))
    )
    return send_order([ClaimedRow(*row) for row in rows])
