"""Engagement counts as stored by the export collectors (``mentions.metrics``), in SQL.

Engagement is likes + comments + shares (``reposts``); views are not engagement. Values are read
as floats: view counts overflow a 32-bit integer cast on PostgreSQL. Shared by the totals pass
(``mention_figures.main_counts``) and the indicators (``indicator_figures``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_

from monitor.db.models import Mention

ENGAGEMENT_METRICS = ("likes", "comments", "reposts")  # reposts: shares, retweets, 转发


def metric(name: str) -> ColumnElement[Any]:
    # float, not integer: view counts overflow a 32-bit integer cast on PostgreSQL
    value: ColumnElement[Any] = Mention.metrics[name].as_float()
    return value


def amount(value: Any) -> float:
    """A summed count: whole numbers as int (counts are whole; JSON shows them so)."""
    number = float(value or 0)
    return int(number) if number.is_integer() else number


def engaged(columns: Sequence[Any]) -> ColumnElement[int]:
    return case((or_(*(c.is_not(None) for c in columns)), 1), else_=0)


def engagement(columns: Sequence[Any]) -> ColumnElement[Any]:
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


def inner_columns() -> list[ColumnElement[Any]]:
    """Per-mention values the sums read: intent and the four counts."""
    return [
        Mention.intent.label("intent"),
        *(metric(name).label(name) for name in (*ENGAGEMENT_METRICS, "views")),
    ]


def sums(c: Any) -> list[ColumnElement[Any]]:
    """Aggregates over ``inner_columns`` (``c``): nine for ``add``, the last two (engaged
    mentions and engagement) also for ``add_group``."""
    counted = (c.likes, c.comments, c.reposts)
    both = case((c.comments.is_not(None) & c.views.is_not(None), 1), else_=0)
    return [
        func.count(c.intent),
        func.sum(case((c.intent == "enquiry", 1), else_=0)),
        func.sum(engaged(counted)),
        func.sum(engagement(counted)),
        func.count(c.comments),
        func.sum(c.comments),
        func.sum(both),
        func.sum(case((both == 1, c.comments), else_=0)),
        func.sum(case((both == 1, c.views), else_=0)),
    ]


def add(totals: MetricTotals, mentions: int, values: Sequence[Any]) -> MetricTotals:
    """``totals`` plus one group's ``sums`` (its first nine values) over ``mentions`` rows."""
    (
        with_intent,
        enquiries,
        engaged_,
        engagement_,
        with_comments,
        comments,
        rated,
        rated_comments,
        rated_views,
    ) = values[:9]
    return MetricTotals(
        mentions=totals.mentions + mentions,
        with_intent=totals.with_intent + int(with_intent or 0),
        enquiries=totals.enquiries + int(enquiries or 0),
        engaged=totals.engaged + int(engaged_ or 0),
        engagement=amount(totals.engagement + amount(engagement_)),
        with_comments=totals.with_comments + int(with_comments or 0),
        comments=amount(totals.comments + amount(comments)),
        rated=totals.rated + int(rated or 0),
        rated_comments=amount(totals.rated_comments + amount(rated_comments)),
        rated_views=amount(totals.rated_views + amount(rated_views)),
    )


def add_group(group: GroupMetrics, mentions: int, values: Sequence[Any]) -> GroupMetrics:
    """``group`` plus one group of ``mentions`` rows (its engaged count and engagement)."""
    own_engaged, own_engagement = values[2:4]
    return GroupMetrics(
        mentions=group.mentions + mentions,
        engaged=group.engaged + int(own_engaged or 0),
        engagement=amount(group.engagement + amount(own_engagement)),
    )
