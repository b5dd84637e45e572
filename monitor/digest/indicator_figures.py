"""The source plans' indicators, each against the previous period, in two SQL aggregates.

Engagement is what export files count per mention (``mentions.metrics``, filled by the export
collectors): likes + comments + shares (``reposts``); views are not engagement. Comment rate is
comments per view, over the mentions that carry both counts. Enquiries are mentions whose
intent is ``enquiry``. A figure no stored mention can give is None with a reason code (see
``REASONS``), never zero: "no source in this period carries comment counts" is not "no
comments".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from monitor.db.models import Mention, MentionEntity
from monitor.digest.inputs import EntityInfo
from monitor.digest.mention_figures import SentimentCounts, both_periods, id_range
from monitor.digest.model import (
    OWN_KINDS,
    Compare,
    CompetitorRow,
    Indicator,
    Indicators,
    VoiceRow,
)
from monitor.digest.period import Period

ENGAGEMENT_METRICS = ("likes", "comments", "reposts")  # reposts: shares, retweets, 转发
# Every reason an indicator can give for a missing figure (labels: "reason_<code>").
REASONS = (
    "no_mentions",
    "no_scored",
    "no_engagement_counts",
    "no_comment_counts",
    "no_view_counts",
    "no_intent",
    "replies_not_recorded",
    "no_search_index",
    "no_competitors",
    "no_voice",
)


def _metric(name: str) -> ColumnElement[Any]:
    # float, not integer: view counts overflow a 32-bit integer cast on PostgreSQL
    value: ColumnElement[Any] = Mention.metrics[name].as_float()
    return value


def _amount(value: Any) -> float:
    """A summed count: whole numbers as int (counts are whole; JSON shows them so)."""
    number = float(value or 0)
    return int(number) if number.is_integer() else number


def _engaged(columns: Sequence[Any]) -> ColumnElement[int]:
    return case((or_(*(c.is_not(None) for c in columns)), 1), else_=0)


def _engagement(columns: Sequence[Any]) -> ColumnElement[Any]:
    total: ColumnElement[Any] = func.coalesce(columns[0], 0)
    for column in columns[1:]:
        total = total + func.coalesce(column, 0)
    return total


@dataclass(frozen=True, slots=True)
class MetricTotals:
    """What one period's mentions say about engagement and intent."""

    mentions: int = 0
    with_intent: int = 0
    enquiries: int = 0
    engaged: int = 0  # mentions carrying likes, comments or shares
    engagement: float = 0.0
    with_comments: int = 0
    comments: float = 0.0
    rated: int = 0  # mentions carrying both comments and views
    rated_comments: float = 0.0
    rated_views: float = 0.0


@dataclass(frozen=True, slots=True)
class GroupMetrics:
    mentions: int = 0
    engaged: int = 0
    engagement: float = 0.0


def metric_totals(
    session: Session, period: Period, own_ids: Sequence[str]
) -> tuple[MetricTotals, MetricTotals, GroupMetrics, GroupMetrics]:
    """Engagement, comment and enquiry counts of this period and the previous one, and the
    organisation's mentions and engagement in each (a mention of two of its entities once)."""
    likes, comments, reposts, views = (_metric(n) for n in (*ENGAGEMENT_METRICS, "views"))
    own_flag: ColumnElement[Any] = literal(0)
    if own_ids:
        matched = exists().where(
            MentionEntity.mention_id == Mention.id, MentionEntity.entity_id.in_(list(own_ids))
        )
        own_flag = case((matched, 1), else_=0)
    inner = (
        select(
            case((Mention.published_at >= period.start_at, 1), else_=0).label("current"),
            own_flag.label("own"),
            Mention.intent.label("intent"),
            likes.label("likes"),
            comments.label("comments"),
            reposts.label("reposts"),
            views.label("views"),
        )
        .where(both_periods(period))
        .offset(0)  # not flattened: each value is computed once per row, not once per use
        .subquery()
    )
    c = inner.c
    both = case((c.comments.is_not(None) & c.views.is_not(None), 1), else_=0)
    stmt = select(
        c.current,
        c.own,
        func.count(),
        func.count(c.intent),
        func.sum(case((c.intent == "enquiry", 1), else_=0)),
        func.sum(_engaged((c.likes, c.comments, c.reposts))),
        func.sum(_engagement((c.likes, c.comments, c.reposts))),
        func.count(c.comments),
        func.sum(c.comments),
        func.sum(both),
        func.sum(case((both == 1, c.comments), else_=0)),
        func.sum(case((both == 1, c.views), else_=0)),
    ).group_by(c.current, c.own)
    found: dict[tuple[int, int], MetricTotals] = {}
    for row in session.execute(stmt):
        (
            current,
            own,
            mentions,
            with_intent,
            enquiries,
            engaged,
            engagement,
            with_comments,
            comment_sum,
            rated,
            rated_comments,
            rated_views,
        ) = row
        found[int(current), int(own)] = MetricTotals(
            mentions=int(mentions),
            with_intent=int(with_intent),
            enquiries=int(enquiries or 0),
            engaged=int(engaged or 0),
            engagement=_amount(engagement),
            with_comments=int(with_comments),
            comments=_amount(comment_sum),
            rated=int(rated or 0),
            rated_comments=_amount(rated_comments),
            rated_views=_amount(rated_views),
        )

    def period_totals(current: int) -> MetricTotals:
        parts = [found.get((current, own), MetricTotals()) for own in (0, 1)]
        return MetricTotals(*(a + b for a, b in zip(*(astuple(p) for p in parts), strict=True)))

    def own_group(current: int) -> GroupMetrics:
        t = found.get((current, 1), MetricTotals())
        return GroupMetrics(mentions=t.mentions, engaged=t.engaged, engagement=t.engagement)

    return period_totals(1), period_totals(0), own_group(1), own_group(0)


def competitor_metrics(
    session: Session, period: Period, competitor_ids: Sequence[str]
) -> tuple[dict[str, GroupMetrics], dict[str, GroupMetrics]]:
    """Mentions and engagement of each competitor, this period and the previous one."""
    low, high = id_range(session, period)
    if low is None or high is None or not competitor_ids:
        return {}, {}
    likes, comments, reposts = (_metric(n) for n in ENGAGEMENT_METRICS)
    inner = (
        select(
            MentionEntity.entity_id.label("key"),
            case((Mention.published_at >= period.start_at, 1), else_=0).label("current"),
            likes.label("likes"),
            comments.label("comments"),
            reposts.label("reposts"),
        )
        .join(Mention, Mention.id == MentionEntity.mention_id)
        .where(
            MentionEntity.entity_id.in_(list(competitor_ids)),
            MentionEntity.mention_id.between(low, high),
            both_periods(period),
        )
        .offset(0)  # not flattened: each metric is read once per row, not once per use
        .subquery()
    )
    c = inner.c
    columns = (c.likes, c.comments, c.reposts)
    stmt = select(
        c.key,
        c.current,
        func.count(),
        func.sum(_engaged(columns)),
        func.sum(_engagement(columns)),
    ).group_by(c.key, c.current)
    grouped: tuple[dict[str, GroupMetrics], dict[str, GroupMetrics]] = ({}, {})
    for group, current, count, engaged, engagement in session.execute(stmt):
        grouped[int(current)][str(group)] = GroupMetrics(
            mentions=int(count), engaged=int(engaged or 0), engagement=_amount(engagement)
        )
    return grouped[1], grouped[0]


def _side(value: float | None, reason: str | None) -> tuple[float | None, str | None]:
    return (None, reason) if reason else (value, None)


def indicator(
    key: str,
    unit: str,
    current: tuple[float | None, str | None],
    previous: tuple[float | None, str | None],
) -> Indicator:
    """An indicator from (value, reason) of each period; a side with a reason has no value."""
    now, reason = _side(*current)
    before, previous_reason = _side(*previous)
    return Indicator(
        key=key,
        unit=unit,
        value=Compare.of(now, before),
        reason=reason,
        previous_reason=previous_reason,
    )


def not_available(key: str, unit: str, reason: str) -> Indicator:
    """An indicator that no stored data can give, in either period."""
    return indicator(key, unit, (None, reason), (None, reason))


def reply_rate(session: Session, period: Period) -> Indicator:
    """Share of enquiries and complaints replied to: replies are not stored, so not available."""
    return not_available("reply_rate", "share", "replies_not_recorded")


def _sentiment_rows(now: SentimentCounts, before: SentimentCounts) -> list[Indicator]:
    def share(counts: SentimentCounts, value: int) -> tuple[float | None, str | None]:
        if not counts.total:
            return None, "no_mentions"
        return (value / counts.scored, None) if counts.scored else (None, "no_scored")

    return [
        indicator(
            f"{name}_share",
            "share",
            share(now, getattr(now, name)),
            share(before, getattr(before, name)),
        )
        for name in ("positive", "neutral", "negative")
    ]


def _metric_rows(now: MetricTotals, before: MetricTotals) -> list[Indicator]:
    def engagement(t: MetricTotals) -> tuple[float | None, str | None]:
        if not t.mentions:
            return None, "no_mentions"
        return (t.engagement, None) if t.engaged else (None, "no_engagement_counts")

    def per_mention(t: MetricTotals) -> tuple[float | None, str | None]:
        value, reason = engagement(t)
        return (None, reason) if reason or not t.engaged else ((value or 0) / t.engaged, None)

    def comment_count(t: MetricTotals) -> tuple[float | None, str | None]:
        if not t.mentions:
            return None, "no_mentions"
        return (t.comments, None) if t.with_comments else (None, "no_comment_counts")

    def comment_rate(t: MetricTotals) -> tuple[float | None, str | None]:
        value, reason = comment_count(t)
        if reason:
            return None, reason
        if not t.rated or not t.rated_views:
            return None, "no_view_counts"
        return t.rated_comments / t.rated_views, None

    def enquiries(t: MetricTotals) -> tuple[float | None, str | None]:
        if not t.mentions:
            return None, "no_mentions"
        return (t.enquiries, None) if t.with_intent else (None, "no_intent")

    return [
        indicator("engagement", "count", engagement(now), engagement(before)),
        indicator("engagement_per_mention", "average", per_mention(now), per_mention(before)),
        indicator("comments", "count", comment_count(now), comment_count(before)),
        indicator("comment_rate", "share", comment_rate(now), comment_rate(before)),
        indicator("enquiries", "count", enquiries(now), enquiries(before)),
    ]


def _voice_row(voice: Sequence[VoiceRow], competitors: int) -> Indicator:
    if not competitors:
        return not_available("share_of_voice", "share", "no_competitors")
    own = next((r for r in voice if r.own), None)
    now = (None, "no_voice") if own is None or own.share is None else (own.share, None)
    before = (
        (None, "no_voice")
        if own is None or own.previous_share is None
        else (own.previous_share, None)
    )
    return indicator("share_of_voice", "share", now, before)


def competitor_rows(
    *,
    organisation: str,
    competitors: Sequence[EntityInfo],
    current: dict[str, GroupMetrics],
    previous: dict[str, GroupMetrics],
) -> tuple[CompetitorRow, ...]:
    """The organisation, then each competitor by mentions this period."""
    groups = [("own", organisation, True)] + [(e.id, e.name, False) for e in competitors]
    rows = []
    for ident, name, own in groups:
        now, before = current.get(ident, GroupMetrics()), previous.get(ident, GroupMetrics())
        rows.append(
            CompetitorRow(
                id=ident,
                name=name,
                own=own,
                mentions=Compare.of(now.mentions, before.mentions),
                engagement=Compare.of(
                    now.engagement if now.engaged else None,
                    before.engagement if before.engaged else None,
                ),
                engaged_mentions=now.engaged,
                previous_engaged_mentions=before.engaged,
            )
        )
    return (rows[0], *sorted(rows[1:], key=lambda r: (-(r.mentions.current or 0), r.id)))


def build_indicators(
    *,
    session: Session,
    period: Period,
    organisation: str,
    entities: Sequence[EntityInfo],
    totals: SentimentCounts,
    previous_totals: SentimentCounts,
    voice: Sequence[VoiceRow],
) -> Indicators:
    """Every indicator of the source plans, and competitors' engagement and growth."""
    own_ids = [e.id for e in entities if e.kind in OWN_KINDS]
    competitors = [e for e in entities if e.kind == "competitor"]
    any_mentions = bool(totals.total or previous_totals.total)
    if any_mentions:
        now, before, own, own_before = metric_totals(session, period, own_ids)
    else:
        now, before, own, own_before = (
            MetricTotals(),
            MetricTotals(),
            GroupMetrics(),
            GroupMetrics(),
        )
    groups, groups_before = (
        competitor_metrics(session, period, [e.id for e in competitors])
        if any_mentions and competitors
        else ({}, {})
    )
    groups["own"], groups_before["own"] = own, own_before
    rows = [
        indicator("mentions", "count", (totals.total, None), (previous_totals.total, None)),
        *_sentiment_rows(totals, previous_totals),
        *_metric_rows(now, before),
        reply_rate(session, period),
        _voice_row(voice, len(competitors)),
        not_available("brand_search_index", "count", "no_search_index"),
    ]
    return Indicators(
        rows=tuple(rows),
        competitors=competitor_rows(
            organisation=organisation,
            competitors=competitors,
            current=groups,
            previous=groups_before,
        )
        if competitors
        else (),
    )
