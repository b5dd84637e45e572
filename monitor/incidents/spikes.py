"""Volume spike detection: each entity (and entity x category) against its own baseline.

Counts live in ``volume_counts`` per fixed interval (``incidents.spike.interval``). The current
volume is a sliding interval ending now: the current bucket plus the unexpired share of the
previous one. The baseline is, with at least two past weeks of history, the median of the same
hour-of-week over past weeks (weekly seasonality: Monday mornings are busy); otherwise the
median of every interval of the history, empty ones included. A spike needs both
``count >= min_count`` and ``count >= ratio x max(baseline, 1)``, for all mentions or for the
negative ones, and an entity with less than ``min_history`` of history has no baseline at all,
so the first mentions of a new or quiet brand never alarm.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.db.models import VolumeCount
from monitor.incidents.context import IncidentCache, SpikeRules

WEEK = 7 * 86400
ALL = ""  # category key for every mention of an entity
VolumeKey = tuple[str, str]  # (entity_id, category or ALL)


@dataclass(frozen=True, slots=True)
class Baseline:
    """Expected mentions and negative mentions per interval, and how that was worked out."""

    mentions: float
    negative: float
    seasonal: bool
    intervals: int  # how many past intervals (or weeks, when seasonal) it is the median of


@dataclass(frozen=True, slots=True)
class VolumeReading:
    """The volume of one key over the last interval, against its baseline."""

    entity_id: str
    category: str | None
    count: float
    negative: float
    baseline: Baseline | None  # None: not enough history yet
    ratio: float | None
    negative_ratio: float | None
    spiking: bool
    calm: bool

    @property
    def spread_ratio(self) -> float | None:
        """The ratio the risk matrix sees: capped at 1 below ``min_count`` (never a spike)."""
        return self._spread

    _spread: float | None = field(default=None, repr=False)

    def describe(self) -> str:
        """One line for timelines, e.g. ``42 mentions in the last 1h, 6.0x baseline 7``."""
        text = f"{self.count:.0f} mentions ({self.negative:.0f} negative) in the last interval"
        if self.baseline is None:
            return text + ", no baseline yet"
        kind = "same hour-of-week" if self.baseline.seasonal else "rolling"
        return (
            text + f", {self.ratio or 0:.1f}x the {kind} baseline {self.baseline.mentions:.1f}"
            f" ({self.negative_ratio or 0:.1f}x negative)"
        )


def bucket_of(moment: datetime, span: int) -> int:
    """Start of the interval holding ``moment``, in epoch seconds."""
    seconds = int(moment.astimezone(UTC).timestamp())
    return seconds - seconds % span


def median(values: list[float], zeros: int = 0) -> float:
    """Median of ``values`` plus ``zeros`` extra zeros (empty intervals are not stored)."""
    ordered = sorted(values)
    total = len(ordered) + zeros
    if total == 0:
        return 0.0

    def at(index: int) -> float:
        return 0.0 if index < zeros else ordered[index - zeros]

    middle = total // 2
    return at(middle) if total % 2 else (at(middle - 1) + at(middle)) / 2


def compute_baseline(
    history: Mapping[int, tuple[int, int]],
    *,
    current: int,
    first: int | None,
    rules: SpikeRules,
) -> Baseline | None:
    """Baseline for the interval starting at ``current`` from past buckets; None if too new."""
    span = rules.span
    if first is None or current - first < rules.min_history.total_seconds():
        return None
    start = max(first, current - int(rules.baseline.total_seconds()) // span * span)
    intervals = (current - start) // span
    if intervals <= 0:
        return None
    weeks = [current - k * WEEK for k in range(1, intervals * span // WEEK + 1)]
    weeks = [b - b % span for b in weeks if b >= start]
    if len(weeks) >= 2:
        picks = [history.get(b, (0, 0)) for b in weeks]
        return Baseline(
            mentions=median([float(n) for n, _ in picks]),
            negative=median([float(neg) for _, neg in picks]),
            seasonal=True,
            intervals=len(weeks),
        )
    rows = [v for b, v in history.items() if start <= b < current]
    zeros = intervals - len(rows)
    return Baseline(
        mentions=median([float(n) for n, _ in rows], zeros),
        negative=median([float(neg) for _, neg in rows], zeros),
        seasonal=False,
        intervals=intervals,
    )


def evaluate(
    *,
    entity_id: str,
    category: str | None,
    count: float,
    negative: float,
    baseline: Baseline | None,
    rules: SpikeRules,
) -> VolumeReading:
    """Compare the current volume with the baseline: spike, calm, and the matrix's ratio."""
    if baseline is None:
        return VolumeReading(
            entity_id, category, count, negative, None, None, None,
            spiking=False, calm=count < rules.min_count,
        )
    ratio = count / max(baseline.mentions, 1.0)
    neg_ratio = negative / max(baseline.negative, 1.0)
    loud = count >= rules.min_count and ratio >= rules.ratio
    loud_negative = negative >= rules.min_count and neg_ratio >= rules.ratio
    calm = count < rules.min_count or max(ratio, neg_ratio) <= rules.calm_ratio
    spread = max(
        ratio if count >= rules.min_count else min(ratio, 1.0),
        neg_ratio if negative >= rules.min_count else min(neg_ratio, 1.0),
    )
    return VolumeReading(
        entity_id, category, count, negative, baseline, ratio, neg_ratio,
        spiking=loud or loud_negative, calm=calm, _spread=spread,
    )


def record_volume(
    session: Session, *, increments: Mapping[tuple[str, str, int], tuple[int, int]], span: int
) -> None:
    """Add mention and negative counts to their (entity, category, bucket) rows."""
    if not increments:
        return
    table = cast(Table, VolumeCount.__table__)
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    stmt = insert.on_conflict_do_update(
        index_elements=["entity_id", "category", "span", "bucket"],
        set_={
            "mentions": table.c.mentions + insert.excluded.mentions,
            "negative": table.c.negative + insert.excluded.negative,
        },
    )
    rows = [
        {"entity_id": e, "category": c, "span": span, "bucket": b, "mentions": n, "negative": g}
        for (e, c, b), (n, g) in sorted(increments.items())
    ]
    session.execute(stmt, rows)


@dataclass
class _EntityVolume:
    complete_until: int  # history holds every bucket before this (the current one excluded)
    first: int | None
    keys: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)


def read_volume(
    session: Session,
    *,
    keys: Iterable[VolumeKey],
    now: datetime,
    rules: SpikeRules,
    cache: IncidentCache,
) -> dict[VolumeKey, VolumeReading]:
    """Current volume and baseline of each key (one or two queries, baselines memoised)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    span = rules.span
    current = bucket_of(now, span)
    horizon = current - int(rules.baseline.total_seconds()) // span * span
    entities = sorted({entity for entity, _ in wanted})
    state = _load(session, cache, entities, span=span, current=current, horizon=horizon)
    fraction = (now.timestamp() - current) / span
    out: dict[VolumeKey, VolumeReading] = {}
    for entity, category in wanted:
        volume = state[entity]
        history = volume.keys.get(category, {})
        cur = history.get(current, (0, 0))
        prev = history.get(current - span, (0, 0))
        count = cur[0] + prev[0] * max(0.0, 1.0 - fraction)
        negative = cur[1] + prev[1] * max(0.0, 1.0 - fraction)
        memo = cache.baselines.get((span, entity, category))
        if memo is None or memo[0] != current:
            memo = (current, compute_baseline(
                history, current=current, first=volume.first, rules=rules
            ))
            cache.baselines[(span, entity, category)] = memo
        out[(entity, category)] = evaluate(
            entity_id=entity,
            category=category or None,
            count=count,
            negative=negative,
            baseline=memo[1],
            rules=rules,
        )
    cache.trim()
    return out


def _load(
    session: Session,
    cache: IncidentCache,
    entities: list[str],
    *,
    span: int,
    current: int,
    horizon: int,
) -> dict[str, _EntityVolume]:
    """Bring each entity's cached history up to ``current`` (inclusive) with one range query."""
    store: dict[str, _EntityVolume] = cache.volumes.setdefault(span, {})
    missing = [e for e in entities if e not in store]
    if missing:
        firsts = dict(
            session.execute(
                select(VolumeCount.entity_id, func.min(VolumeCount.bucket))
                .where(
                    VolumeCount.span == span,
                    VolumeCount.category == ALL,
                    VolumeCount.entity_id.in_(missing),
                )
                .group_by(VolumeCount.entity_id)
            ).all()
        )
        for entity in missing:
            store[entity] = _EntityVolume(complete_until=horizon, first=firsts.get(entity))
    # Re-read from the previous bucket on: late mentions may still land in it.
    groups: dict[int, list[str]] = {}
    for entity in entities:
        volume = store[entity]
        groups.setdefault(min(volume.complete_until, current - span), []).append(entity)
    for since, members in groups.items():
        rows = session.execute(
            select(
                VolumeCount.entity_id,
                VolumeCount.category,
                VolumeCount.bucket,
                VolumeCount.mentions,
                VolumeCount.negative,
            ).where(
                VolumeCount.span == span,
                VolumeCount.entity_id.in_(members),
                VolumeCount.bucket >= max(since, horizon),
                VolumeCount.bucket <= current,
            )
        )
        for entity, category, bucket, mentions, negative in rows:
            store[entity].keys.setdefault(category, {})[bucket] = (mentions, negative)
    for entity in entities:
        volume = store[entity]
        if volume.first is None:
            present = [min(h) for h in volume.keys.values() if h]
            volume.first = min(present) if present else None
        if volume.complete_until < current:
            for history in volume.keys.values():
                for old in [b for b in history if b < horizon]:
                    del history[old]
            volume.complete_until = current
    return {entity: store[entity] for entity in entities}


def entity_keys(entity_id: str, category: str | None) -> tuple[VolumeKey, VolumeKey]:
    """The entity-wide key and the entity x category key (the same when no category)."""
    return (entity_id, ALL), (entity_id, category or ALL)

