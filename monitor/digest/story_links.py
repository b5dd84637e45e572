"""The mentions a top story links to: its first in the period and its most engaged one.

Engagement is likes + comments + shares as the export stored them (``metric_columns``); a
story none of whose mentions carries such counts has no most-engaged mention. Both are picked
in SQL with one window each, so a story of a million mentions costs two indexed scans.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.db.models import Mention
from monitor.digest.metric_columns import ENGAGEMENT_METRICS, engaged, engagement, metric
from monitor.digest.model import MentionLink
from monitor.digest.period import Period


def _web(url: str | None) -> str | None:
    return url if url and url.startswith(("http://", "https://")) else None


def _link(row: Any, engagement: float | None) -> MentionLink:
    published: datetime = row.published_at
    return MentionLink(
        id=int(row.id),
        source_id=str(row.source_id),
        author=row.author,
        url=_web(row.url),
        published_at=published,
        engagement=None if engagement is None else int(engagement),
    )


def story_links(
    session: Session, period: Period, story_ids: Sequence[int]
) -> dict[int, tuple[MentionLink | None, MentionLink | None]]:
    """Story id -> (first mention, most engaged mention), mentions published in the period."""
    if not story_ids:
        return {}
    where = (
        Mention.story_id.in_(list(story_ids)),
        Mention.published_at >= period.start_at,
        Mention.published_at < period.end_at,
    )
    columns = (
        Mention.id,
        Mention.story_id,
        Mention.source_id,
        Mention.author,
        Mention.url,
        Mention.published_at,
    )
    first_rank = func.row_number().over(
        partition_by=Mention.story_id, order_by=(Mention.published_at, Mention.id)
    )
    first = select(*columns, first_rank.label("rank")).where(*where).subquery()
    found: dict[int, list[MentionLink | None]] = {}
    for row in session.execute(select(first).where(first.c.rank == 1)):
        found.setdefault(int(row.story_id), [None, None])[0] = _link(row, None)
    metrics = [metric(name) for name in ENGAGEMENT_METRICS]
    inner = (
        select(*columns, engagement(metrics).label("engagement"))
        .where(*where)
        .where(engaged(metrics) == 1)
        .subquery()
    )
    top_rank = func.row_number().over(
        partition_by=inner.c.story_id,
        order_by=(inner.c.engagement.desc(), inner.c.published_at, inner.c.id),
    )
    ranked = select(inner, top_rank.label("rank")).subquery()
    for row in session.execute(select(ranked).where(ranked.c.rank == 1)):
        found.setdefault(int(row.story_id), [None, None])[1] = _link(row, row.engagement)
    return {story: (pair[0], pair[1]) for story, pair in found.items()}
