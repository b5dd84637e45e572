"""Mention figures by SQL aggregates: every query groups in the database, none walks the rows.

Mentions belong to a period by ``published_at``; local days are told apart with a CASE over the
UTC instants of local midnights (nested as a binary search), which is portable and exact across
daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, select
from sqlalchemy.orm import Session

from monitor.db.models import Mention, MentionEntity
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
class MainCounts:
    """What one pass over both periods' mentions yields."""

    totals: SentimentCounts
    previous_totals: SentimentCounts
    daily: tuple[DayRow, ...]
    own: SentimentCounts
    own_previous: SentimentCounts
    sources: tuple[ReachRow, ...]  # all sources by negative reach, largest first
    # engagement and intent (metric_columns), all mentions and the organisation's
    metrics: MetricTotals = MetricTotals()
    previous_metrics: MetricTotals = MetricTotals()
    own_metrics: GroupMetrics = GroupMetrics()
    own_previous_metrics: GroupMetrics = GroupMetrics()


def both_periods(period: Period) -> ColumnElement[bool]:
    """``published_at`` inside the previous period or this one."""
    previous = period.previous()
    return and_(Mention.published_at >= previous.start_at, Mention.published_at < period.end_at)


def main_counts(session: Session, period: Period, own_ids: Sequence[str]) -> MainCounts:
    """Totals, days, the organisation's own mentions and sources, in one pass over both periods.

    Grouped by (day, sentiment, source): a few hundred groups at most.
    """
    previous = period.previous()
    bounds = previous.day_bounds() + period.day_bounds()[1:]
    own_flag: ColumnElement[Any]
    if own_ids:
        matched = exists().where(
            MentionEntity.mention_id == Mention.id, MentionEntity.entity_id.in_(list(own_ids))
        )
        own_flag = case((matched, 1), else_=0)
    else:
        own_flag = literal(0)
    inner = (
        select(
            day_index(Mention.published_at, bounds).label("day"),
            Mention.sentiment.label("sentiment"),
            Mention.source_id.label("source_id"),
            own_flag.label("own"),
            Mention.author_reach.label("reach"),
            *metric_columns.inner_columns(),
        )
        .where(both_periods(period))
        .offset(0)  # not flattened: each value is computed once per row, not once per use
        .subquery()
    )
    c = inner.c
    stmt = select(
        c.day, c.sentiment, c.source_id, func.count(), func.sum(c.reach), func.sum(c.own),
        *metric_columns.sums(c, c.own),
    ).group_by(c.day, c.sentiment, c.source_id)
    split = previous.days
    per_day: dict[int, list[tuple[str | None, int]]] = {}
    own_rows: list[tuple[str | None, int]] = []
    own_previous_rows: list[tuple[str | None, int]] = []
    negative: dict[str, tuple[int, int | None]] = {}
    metrics = [MetricTotals(), MetricTotals()]  # previous, current
    own_metrics = [GroupMetrics(), GroupMetrics()]
    for day, sentiment, source, count, reach, own, *sums in session.execute(stmt):
        day, count = int(day), int(count)
        per_day.setdefault(day, []).append((sentiment, count))
        side = int(day >= split)
        metrics[side] = metric_columns.add(metrics[side], count, sums)
        own_metrics[side] = metric_columns.add_group(own_metrics[side], int(own or 0), sums)
        if own:
            (own_rows if day >= split else own_previous_rows).append((sentiment, int(own)))
        if day >= split and sentiment == "negative":
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
        own=counts_from(own_rows),
        own_previous=counts_from(own_previous_rows),
        sources=tuple(
            ReachRow(name=source, source_id=source, negative_mentions=n, negative_reach=r)
            for source, (n, r) in sources
        ),
        metrics=metrics[1],
        previous_metrics=metrics[0],
        own_metrics=own_metrics[1],
        own_previous_metrics=own_metrics[0],
    )


def _known(reach: int | None) -> int:
    """A reach to rank by: an unknown one below every known one, zero included."""
    return -1 if reach is None else reach


def id_range(session: Session, period: Period) -> tuple[int | None, int | None]:
    """Lowest and highest mention id of both periods (read from the published_at index alone).

    Mentions are stored roughly in publication order, so this range lets the entity join start
    from the small link table; it only narrows the scan, the period condition still decides.
    """
    stmt = select(func.min(Mention.id), func.max(Mention.id)).where(both_periods(period))
    low, high = session.execute(stmt).one()
    return low, high


@dataclass(frozen=True, slots=True)
class EntityCounts:
    """Mentions per matched entity and sentiment, and the engagement of some entities."""

    current: dict[str, SentimentCounts]
    previous: dict[str, SentimentCounts]
    engagement: dict[str, GroupMetrics]  # of the entities asked for, this period
    previous_engagement: dict[str, GroupMetrics]


def entity_counts(
    session: Session, period: Period, engagement_of: Sequence[str] = ()
) -> EntityCounts:
    """Mentions per matched entity and sentiment, this period and the previous one, and the
    engagement of the ``engagement_of`` entities (competitors), in one pass over the links.

    A mention counts once for each entity it matched. Engagement counts are read only for
    the links of ``engagement_of``.
    """
    low, high = id_range(session, period)
    if low is None or high is None:
        return EntityCounts({}, {}, {}, {})
    in_current = case((Mention.published_at >= period.start_at, 1), else_=0)
    counted = MentionEntity.entity_id.in_(list(engagement_of))
    inner = (
        select(
            in_current.label("current"),
            MentionEntity.entity_id.label("entity_id"),
            Mention.sentiment.label("sentiment"),
            *(
                case((counted, metric_columns.metric(name)), else_=None).label(name)
                for name in metric_columns.ENGAGEMENT_METRICS
            ),
        )
        .join(Mention, Mention.id == MentionEntity.mention_id)
        .where(MentionEntity.mention_id.between(low, high), both_periods(period))
        .offset(0)  # not flattened: each metric is read once per row, not once per use
        .subquery()
    )
    c = inner.c
    columns = (c.likes, c.comments, c.reposts)
    stmt = select(
        c.current,
        c.entity_id,
        c.sentiment,
        func.count(),
        func.sum(metric_columns.engaged(columns)),
        func.sum(metric_columns.engagement(columns)),
    ).group_by(c.current, c.entity_id, c.sentiment)
    grouped: tuple[dict[str, list[tuple[str | None, int]]], ...] = ({}, {})
    engagement: tuple[dict[str, GroupMetrics], dict[str, GroupMetrics]] = ({}, {})
    wanted = set(engagement_of)
    for current, entity_id, sentiment, count, engaged, total in session.execute(stmt):
        grouped[int(current)].setdefault(entity_id, []).append((sentiment, int(count)))
        if entity_id in wanted:
            was = engagement[int(current)].get(entity_id, GroupMetrics())
            engagement[int(current)][entity_id] = GroupMetrics(
                mentions=was.mentions + int(count),
                engaged=was.engaged + int(engaged or 0),
                engagement=metric_columns.amount(was.engagement + metric_columns.amount(total)),
            )
    before, now = ({eid: counts_from(rows) for eid, rows in g.items()} for g in grouped)
    return EntityCounts(now, before, engagement[1], engagement[0])


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
