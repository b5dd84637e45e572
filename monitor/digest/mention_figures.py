"""Mention figures by SQL aggregates: every query groups in the database, none walks the rows.

Mentions belong to a period by ``published_at``; local days are told apart with a CASE over the
UTC instants of local midnights (nested as a binary search), which is portable and exact across
daylight-saving changes. One pass over both periods' mentions yields nearly everything: it
groups by day, sentiment, source and the mention's own ``entities`` list (written with its
``mention_entities`` links, in the same insert), so entity and own-brand counts need no join
over the links (that join was a third of the digest's time on a million mentions).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session

from monitor.db.models import Mention
from monitor.digest import metric_columns
from monitor.digest.inputs import EntityInfo
from monitor.digest.metric_columns import GroupMetrics, MetricTotals
from monitor.digest.model import OWN_KINDS, SENTIMENTS, DayRow, EntityRow, ReachRow, VoiceRow
from monitor.digest.period import Period
from monitor.digest.themes import word_prefix

# Knuth's multiplicative hash orders the sample deterministically but spread over the period.
_HASH_MULTIPLIER = 2654435761
_HASH_MODULUS = 4294967296


@dataclass(frozen=True, slots=True)
class SentimentCounts:
    positive: int = 0
    neutral: int = 0
    negative: int = 0
    unscored: int = 0

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative + self.unscored

    @property
    def scored(self) -> int:
        return self.positive + self.neutral + self.negative

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.scored if self.scored else None

    @property
    def net(self) -> float | None:
        return (self.positive - self.negative) / self.scored if self.scored else None


def counts_from(rows: Sequence[tuple[str | None, int]]) -> SentimentCounts:
    """Fold (sentiment, count) rows into the four buckets (anything unknown is unscored)."""
    values = dict.fromkeys((*SENTIMENTS, "unscored"), 0)
    for sentiment, count in rows:
        key = sentiment if sentiment in SENTIMENTS else "unscored"
        values[key] += int(count)
    return SentimentCounts(**values)


def in_period(period: Period) -> ColumnElement[bool]:
    """``published_at`` inside the period."""
    return and_(Mention.published_at >= period.start_at, Mention.published_at < period.end_at)


def day_index(column: Any, bounds: Sequence[datetime]) -> ColumnElement[Any]:
    """Index of the local day holding ``column``, given the day bounds (rows already filtered)."""

    def build(low: int, high: int) -> ColumnElement[Any]:
        if high - low == 1:
            return literal(low)
        middle = (low + high) // 2
        return case((column < bounds[middle], build(low, middle)), else_=build(middle, high))

    return build(0, len(bounds) - 1)


@dataclass(frozen=True, slots=True)
class LateCounts:
    """The period's mentions collected late (backfill), when, and those with no date."""

    late: int = 0
    first_collected: datetime | None = None
    last_collected: datetime | None = None
    undated: int = 0


def late_condition(dialect: str, late_after: timedelta) -> ColumnElement[bool]:
    """``collected_at - published_at > late_after`` in the database's own date arithmetic."""
    if dialect == "sqlite":
        days = late_after.total_seconds() / 86400
        return func.julianday(Mention.collected_at) - func.julianday(Mention.published_at) > days
    return (Mention.collected_at - Mention.published_at) > late_after


@dataclass(frozen=True, slots=True)
class MainCounts:
    """What one pass over both periods' mentions yields."""

    totals: SentimentCounts
    previous_totals: SentimentCounts
    daily: tuple[DayRow, ...]
    own: SentimentCounts
    own_previous: SentimentCounts
    sources: tuple[ReachRow, ...]  # all sources by negative reach, largest first
    late: LateCounts = LateCounts()  # of this period (not the previous one)
    by_entity: dict[str, SentimentCounts] = field(default_factory=dict)
    by_entity_previous: dict[str, SentimentCounts] = field(default_factory=dict)
    # engagement and intent (metric_columns), all mentions and the organisation's
    metrics: MetricTotals = MetricTotals()
    previous_metrics: MetricTotals = MetricTotals()
    own_metrics: GroupMetrics = GroupMetrics()
    own_previous_metrics: GroupMetrics = GroupMetrics()
    # engagement of the entities asked for (competitors), by entity id
    engagement: dict[str, GroupMetrics] = field(default_factory=dict)
    previous_engagement: dict[str, GroupMetrics] = field(default_factory=dict)


def both_periods(period: Period) -> ColumnElement[bool]:
    """``published_at`` inside the previous period or this one."""
    previous = period.previous()
    return and_(Mention.published_at >= previous.start_at, Mention.published_at < period.end_at)


def main_counts(
    session: Session,
    period: Period,
    own_ids: Sequence[str],
    *,
    late_after: timedelta = timedelta(days=2),
    engagement_of: Sequence[str] = (),
) -> MainCounts:
    """Totals, days, the organisation's own mentions, sources, backfill, engagement and intent,
    and the engagement of the ``engagement_of`` entities (competitors), in one pass over both
    periods.

    Grouped by (day, sentiment, source, the mention's entity list): a few thousand groups.
    """
    previous = period.previous()
    bounds = previous.day_bounds() + period.day_bounds()[1:]
    late = late_condition(session.get_bind().dialect.name, late_after)
    inner = (
        select(
            day_index(Mention.published_at, bounds).label("day"),
            Mention.sentiment.label("sentiment"),
            Mention.source_id.label("source_id"),
            cast(Mention.entities, Text).label("entities"),
            Mention.author_reach.label("reach"),
            # the late test once per row: late rows are those with a late_at (counted below)
            case((late, Mention.collected_at)).label("late_at"),
            case((Mention.date_missing.is_(True), 1)).label("undated"),
            *metric_columns.inner_columns(),
        )
        .where(both_periods(period))
        .offset(0)  # not flattened: each value is computed once per row, not once per use
        .subquery()
    )
    c = inner.c
    stmt = select(
        c.day, c.sentiment, c.source_id, c.entities, func.count(), func.sum(c.reach),
        func.count(c.late_at), func.min(c.late_at), func.max(c.late_at), func.count(c.undated),
        *metric_columns.sums(c),
    ).group_by(c.day, c.sentiment, c.source_id, c.entities)
    split = previous.days
    own = frozenset(own_ids)
    per_day: dict[int, list[tuple[str | None, int]]] = {}
    own_rows: tuple[list[tuple[str | None, int]], ...] = ([], [])
    entity_rows_: tuple[dict[str, list[tuple[str | None, int]]], ...] = ({}, {})
    negative: dict[str, tuple[int, int | None]] = {}
    late_total = undated_total = 0
    late_at: list[datetime] = []
    matched: dict[str | None, frozenset[str]] = {}
    wanted = frozenset(engagement_of)
    metrics = [MetricTotals(), MetricTotals()]  # previous, current
    own_metrics = [GroupMetrics(), GroupMetrics()]
    engagement: tuple[dict[str, GroupMetrics], ...] = ({}, {})
    for day, sentiment, source, entities, count, reach, n_late, first, last, undated, *sums in (
        session.execute(stmt)
    ):
        day, count = int(day), int(count)
        current = int(day >= split)
        if current:
            late_total += int(n_late or 0)
            undated_total += int(undated or 0)
            late_at += [at for at in (first, last) if at is not None]
        per_day.setdefault(day, []).append((sentiment, count))
        if entities not in matched:
            matched[entities] = _entity_ids(entities)
        ids = matched[entities]
        for entity_id in ids:
            entity_rows_[current].setdefault(entity_id, []).append((sentiment, count))
        metrics[current] = metric_columns.add(metrics[current], count, sums)
        if ids & own:
            own_rows[current].append((sentiment, count))
            own_metrics[current] = metric_columns.add_group(own_metrics[current], count, sums)
        for entity_id in ids & wanted:
            group = engagement[current].get(entity_id, GroupMetrics())
            engagement[current][entity_id] = metric_columns.add_group(group, count, sums)
        if current and sentiment == "negative":
            # SUM skips unknown reach and is NULL when none of the group's is known
            n, known = negative.get(source, (0, None))
            negative[source] = (n + count, known if reach is None else (known or 0) + int(reach))
    days = []
    for index, day in enumerate(period.day_list()):
        counts = counts_from(per_day.get(split + index, []))
        days.append(
            DayRow(
                day=day,
                positive=counts.positive,
                neutral=counts.neutral,
                negative=counts.negative,
                unscored=counts.unscored,
            )
        )
    sources = sorted(negative.items(), key=lambda kv: (-_known(kv[1][1]), -kv[1][0], kv[0]))
    return MainCounts(
        totals=counts_from([row for d in range(split, len(bounds) - 1)
                            for row in per_day.get(d, [])]),
        previous_totals=counts_from([row for d in range(split) for row in per_day.get(d, [])]),
        daily=tuple(days),
        own=counts_from(own_rows[1]),
        own_previous=counts_from(own_rows[0]),
        sources=tuple(
            ReachRow(name=source, source_id=source, negative_mentions=n, negative_reach=r)
            for source, (n, r) in sources
        ),
        late=LateCounts(
            late=late_total,
            first_collected=min(late_at, default=None),
            last_collected=max(late_at, default=None),
            undated=undated_total,
        ),
        by_entity={eid: counts_from(rows) for eid, rows in entity_rows_[1].items()},
        by_entity_previous={eid: counts_from(rows) for eid, rows in entity_rows_[0].items()},
        metrics=metrics[1],
        previous_metrics=metrics[0],
        own_metrics=own_metrics[1],
        own_previous_metrics=own_metrics[0],
        engagement=engagement[1],
        previous_engagement=engagement[0],
    )


def _known(reach: int | None) -> int:
    """A reach to rank by: an unknown one below every known one, zero included."""
    return -1 if reach is None else reach


def _entity_ids(text: str | None) -> frozenset[str]:
    """The entity ids of a stored ``entities`` list (written with the mention's links)."""
    try:
        value = json.loads(text) if text else []
    except ValueError:
        return frozenset()
    return frozenset(str(v) for v in value) if isinstance(value, list) else frozenset()


def entity_rows(
    entities: Sequence[EntityInfo],
    current: dict[str, SentimentCounts],
    previous: dict[str, SentimentCounts],
) -> tuple[EntityRow, ...]:
    """Volume by configured entity, largest first (entities no longer configured are left out)."""
    rows = []
    for entity in entities:
        counts = current.get(entity.id, SentimentCounts())
        rows.append(
            EntityRow(
                id=entity.id,
                name=entity.name,
                kind=entity.kind,
                own=entity.kind in OWN_KINDS,
                mentions=counts.total,
                positive=counts.positive,
                neutral=counts.neutral,
                negative=counts.negative,
                previous_mentions=previous.get(entity.id, SentimentCounts()).total,
            )
        )
    return tuple(sorted(rows, key=lambda r: (-r.mentions, r.id)))


def voice_rows(
    *,
    organisation: str,
    own: SentimentCounts,
    own_previous: SentimentCounts,
    competitors: Sequence[EntityInfo],
    current: dict[str, SentimentCounts],
    previous: dict[str, SentimentCounts],
) -> tuple[VoiceRow, ...]:
    """Share of voice and sentiment: the organisation, then each competitor by volume."""
    groups = [("own", organisation, True, own, own_previous)]
    for entity in competitors:
        groups.append(
            (
                entity.id,
                entity.name,
                False,
                current.get(entity.id, SentimentCounts()),
                previous.get(entity.id, SentimentCounts()),
            )
        )
    total = sum(g[3].total for g in groups)
    total_previous = sum(g[4].total for g in groups)
    rows = [
        VoiceRow(
            id=ident,
            name=name,
            own=is_own,
            mentions=now.total,
            share=now.total / total if total else None,
            previous_mentions=before.total,
            previous_share=before.total / total_previous if total_previous else None,
            positive=now.positive,
            neutral=now.neutral,
            negative=now.negative,
            negative_share=now.negative_share,
            net_sentiment=now.net,
        )
        for ident, name, is_own, now, before in groups
    ]
    return (rows[0], *sorted(rows[1:], key=lambda r: (-r.mentions, r.id)))


def top_authors(session: Session, period: Period, limit: int) -> tuple[ReachRow, ...]:
    """Authors (per source: the same name elsewhere is someone else) by negative reach.

    An author whose follower count no mention gives has an unknown reach (None), ranked last.
    """
    reach = func.sum(Mention.author_reach)
    stmt = (
        select(Mention.author, Mention.source_id, func.count(), reach)
        .where(
            in_period(period),
            Mention.sentiment == "negative",
            Mention.author.is_not(None),
            Mention.author != "",
        )
        .group_by(Mention.author, Mention.source_id)
        .order_by(func.coalesce(reach, -1).desc(), func.count().desc(), Mention.author,
                  Mention.source_id)
        .limit(limit)
    )
    return tuple(
        ReachRow(
            name=str(author), source_id=source, negative_mentions=int(n),
            negative_reach=None if r is None else int(r),
        )
        for author, source, n, r in session.execute(stmt)
    )


def negative_sample(
    session: Session, period: Period, *, limit: int, chars: int
) -> list[tuple[str | None, str]]:
    """Up to ``limit`` negative (lang, text prefix) pairs, the same ones on every run.

    A prefix ends at a word boundary: half a word would read as a theme of its own.
    """
    if limit <= 0:
        return []
    order = (Mention.id * _HASH_MULTIPLIER) % _HASH_MODULUS
    stmt = (
        select(Mention.lang, func.substr(Mention.text, 1, chars + 1))
        .where(in_period(period), Mention.sentiment == "negative")
        .order_by(order, Mention.id)
        .limit(limit)
    )
    # one character more than kept says whether the last word went on past the cut
    return [(lang, word_prefix(text or "", chars)) for lang, text in session.execute(stmt)]
