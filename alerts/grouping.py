"""Burst grouping for one channel, in the spirit of Alertmanager's group_wait / group_interval.

A channel may receive at most ``max_individual`` individual "opened" alerts per
``group_interval``. Beyond that, the overflow is held for ``group_wait`` (measured from the
oldest held alert, to collect the rest of the burst) and then sent as ONE digest message;
while a digest was sent less than ``group_interval`` ago, new openings keep being grouped and
the next digest waits for the interval to pass. Other events (evidence, escalation, ...) are
never grouped: they belong to incidents someone already knows about.

Everything here is pure: the caller passes the pending alerts, the channel's recent send
history and ``now``, and carries out the returned decision.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.message import AlertMessage, DigestEntry, grade_rank


@dataclass(frozen=True)
class PendingAlert:
    """An undelivered alert for this channel; ``key`` is the caller's delivery id."""

    key: str
    message: AlertMessage
    queued_at: datetime


@dataclass(frozen=True)
class SentRecord:
    """One earlier "opened" delivery on this channel: individual, or a digest."""

    sent_at: datetime
    digest: bool = False


@dataclass(frozen=True)
class GroupingPolicy:
    """Thresholds: at most ``max_individual`` openings per ``group_interval``."""

    group_wait: timedelta = timedelta(seconds=30)
    group_interval: timedelta = timedelta(minutes=5)
    max_individual: int = 5

    def __post_init__(self) -> None:
        if self.group_wait < timedelta(0) or self.group_interval <= timedelta(0):
            raise ValueError("group_wait must be >= 0 and group_interval > 0")
        if self.max_individual < 0:
            raise ValueError("max_individual must be >= 0")


@dataclass(frozen=True)
class GroupingDecision:
    """Send ``individual`` now one by one; send ``digest`` now covering ``folded``; keep
    ``held`` pending and look again at ``next_check``."""

    individual: tuple[PendingAlert, ...]
    folded: tuple[PendingAlert, ...] = ()
    digest: AlertMessage | None = None
    held: tuple[PendingAlert, ...] = ()
    next_check: datetime | None = None


def plan_sends(
    *,
    pending: Sequence[PendingAlert],
    history: Sequence[SentRecord],
    now: datetime,
    policy: GroupingPolicy,
) -> GroupingDecision:
    """Decide which pending alerts go out individually, which fold into a digest, which wait."""
    others = tuple(p for p in pending if p.message.event != "opened")
    opened = sorted((p for p in pending if p.message.event == "opened"), key=_order)
    window_start = now - policy.group_interval
    recent = sum(1 for r in history if not r.digest and r.sent_at > window_start)
    digests = [r.sent_at for r in history if r.digest]
    last_digest = max(digests) if digests else None
    in_burst = last_digest is not None and last_digest > window_start
    budget = 0 if in_burst else max(0, policy.max_individual - recent)
    if len(opened) <= budget:
        return GroupingDecision(individual=others + tuple(opened))
    individual = others + tuple(opened[:budget])
    overflow = tuple(opened[budget:])
    due = overflow[0].queued_at + policy.group_wait
    if last_digest is not None:
        due = max(due, last_digest + policy.group_interval)
    if now < due:
        return GroupingDecision(individual=individual, held=overflow, next_check=due)
    digest = build_digest(overflow, now=now, policy=policy)
    return GroupingDecision(individual=individual, folded=overflow, digest=digest)


def build_digest(
    alerts: Sequence[PendingAlert], *, now: datetime, policy: GroupingPolicy
) -> AlertMessage:
    """One summary message for ``alerts`` (highest grade first), stable for the same keys."""
    if not alerts:
        raise ValueError("build_digest needs at least one alert")
    messages = [a.message for a in sorted(alerts, key=_order)]
    ranked = sorted(messages, key=lambda m: -grade_rank(m.grade))
    top = ranked[0]
    entities = {m.entity for m in messages}
    categories = {m.category for m in messages}
    counts = Counter(m.grade for m in messages)
    by_grade = ", ".join(
        f"{grade} {counts[grade]}" for grade in sorted(counts, key=lambda g: -grade_rank(g))
    )
    keys = "\x1f".join(sorted(a.key for a in alerts))
    digest_id = "digest-" + hashlib.sha256(keys.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    minutes = policy.group_interval.total_seconds() / 60
    return AlertMessage(
        incident_id=digest_id,
        event="digest",
        title=f"{len(messages)} new incidents grouped into one alert",
        grade=top.grade,
        entity=entities.pop() if len(entities) == 1 else f"{len(entities)} entities",
        category=categories.pop() if len(categories) == 1 else None,
        likelihood=max(m.likelihood for m in messages),
        impact=max(m.impact for m in messages),
        status="open",
        created_at=now,
        reasons=(
            f"more than {policy.max_individual} new incidents within {minutes:g} min",
            f"by grade: {by_grade}",
        ),
        drill=all(m.drill for m in messages),
        timezone=top.timezone,
        # folding must not unpage anyone: the digest mentions everyone its members did
        recipients=tuple(dict.fromkeys(r for m in ranked for r in m.recipients)),
        paging=tuple(dict.fromkeys(w for m in ranked for w in m.paging)),
        members=tuple(
            DigestEntry(
                incident_id=m.incident_id,
                title=m.title,
                grade=m.grade,
                entity=m.entity,
                category=m.category,
            )
            for m in ranked
        ),
    )


def _order(alert: PendingAlert) -> tuple[datetime, str]:
    return (alert.queued_at, alert.key)
