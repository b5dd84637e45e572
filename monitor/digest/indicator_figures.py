"""The source plans' indicators, each against the previous period.

Engagement is what export files count per mention (``mentions.metrics``, filled by the export
collectors): likes + comments + shares (``reposts``); views are not engagement. Comment rate is
comments per view, over the mentions that carry both counts. Enquiries are mentions whose
intent is ``enquiry``. A figure no stored mention can give is None with a reason code (see
``REASONS``), never zero: "no source in this period carries comment counts" is not "no
comments". No SQL of its own: the counts come from the digest's passes over the mentions
(``mention_figures.main_counts``), which also sums each competitor's engagement.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.digest.inputs import EntityInfo
from monitor.digest.mention_figures import MainCounts, SentimentCounts
from monitor.digest.metric_columns import (
    GroupMetrics,
    MetricTotals,
)
from monitor.digest.model import (
    Compare,
    CompetitorRow,
    Indicator,
    Indicators,
    ReplyFigures,
    VoiceRow,
)

# Every reason an indicator can give for a missing figure (labels: "reason_<code>").
REASONS = (
    "no_mentions",
    "no_scored",
    "no_engagement_counts",
    "no_comment_counts",
    "no_view_counts",
    "no_intent",
    "replies_not_recorded",
    "no_reply_needed",
    "no_search_index",
    "no_competitors",
    "no_voice",
)


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


def reply_rate(replies: ReplyFigures | None, previous: ReplyFigures | None) -> Indicator:
    """Share of the period's enquiries and complaints that got a reply (``reply_figures``)."""

    def side(figures: ReplyFigures | None) -> tuple[float | None, str | None]:
        if figures is None:
            return None, "replies_not_recorded"
        if not figures.needing:
            return None, "no_reply_needed"
        return figures.reply_rate, None

    return indicator("reply_rate", "share", side(replies), side(previous))


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
    organisation: str,
    entities: Sequence[EntityInfo],
    main: MainCounts,
    voice: Sequence[VoiceRow],
    replies: ReplyFigures | None = None,
    previous_replies: ReplyFigures | None = None,
) -> Indicators:
    """Every indicator of the source plans, and competitors' engagement and growth.

    Totals, engagement, enquiries and competitors' engagement all come from the totals pass
    (``main``).
    """
    totals, previous_totals = main.totals, main.previous_totals
    competitors = [e for e in entities if e.kind == "competitor"]
    groups = {**main.engagement, "own": main.own_metrics}
    groups_before = {**main.previous_engagement, "own": main.own_previous_metrics}
    rows = [
        indicator("mentions", "count", (totals.total, None), (previous_totals.total, None)),
        *_sentiment_rows(totals, previous_totals),
        *_metric_rows(main.metrics, main.previous_metrics),
        reply_rate(replies, previous_replies),
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
