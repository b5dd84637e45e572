"""The digest's reply figures: of the enquiries and complaints published in the period, how
many got a reply, how many in time (against the ``replies.goal``, the marketing plan's 90%),
and how long the first reply took; and the replies overdue now, for the next steps.

A message whose deadline has not passed and that has no reply yet is pending: it counts
neither for nor against the rate in time.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db.models import ReplyDeadline
from monitor.digest.model import DurationStats, OverdueReply, ReplyFigures, ReplyIntentRow
from monitor.digest.period import Period
from monitor.replies.listing import ReplyRow, overdue_count, overdue_replies
from monitor.replies.record import first_replies


def _stats(values: Iterable[float]) -> DurationStats:
    present = sorted(values)
    if not present:
        return DurationStats(count=0, median_s=None, worst_s=None)
    return DurationStats(
        count=len(present), median_s=float(statistics.median(present)), worst_s=present[-1]
    )


def overdue_items(session: Session, *, now: datetime, limit: int = 10) -> list[OverdueReply]:
    """Replies overdue at ``now``, most overdue first (the digest's next steps)."""
    return [_overdue(row) for row in overdue_replies(session, now=now, limit=limit)]


def _overdue(row: ReplyRow) -> OverdueReply:
    from alerts.sanitize import one_line

    return OverdueReply(
        mention_id=row.mention_id,
        intent=row.intent,
        source=row.source_id,
        author=row.author,
        excerpt=one_line(row.text, 120),
        due_at=row.due_at,
    )


def reply_figures(
    *, session: Session, period: Period, now: datetime, goal: float = 0.9, top: int = 10
) -> ReplyFigures:
    """Reply rate, rate in time and time to reply for the messages published in ``period``,
    judged at ``now``; and the ``top`` replies overdue at ``now``."""
    deadlines = list(
        session.scalars(
            select(ReplyDeadline).where(
                ReplyDeadline.started_at >= period.start_at,
                ReplyDeadline.started_at < period.end_at,
            )
        )
    )
    firsts = first_replies(session, (d.mention_id for d in deadlines))
    counts: dict[str, list[int]] = {}  # intent -> needing, replied, in time, pending
    waits: list[float] = []
    for deadline in deadlines:
        row = counts.setdefault(deadline.intent, [0, 0, 0, 0])
        row[0] += 1
        reply = firsts.get(deadline.mention_id)
        if reply is not None:
            row[1] += 1
            row[2] += reply.replied_at <= deadline.due_at
            waits.append(max(0.0, (reply.replied_at - deadline.started_at).total_seconds()))
        elif now <= deadline.due_at:
            row[3] += 1
    by_intent = tuple(
        ReplyIntentRow(intent=k, needing=v[0], replied=v[1], in_time=v[2], pending=v[3])
        for k, v in sorted(counts.items())
    )
    needing = sum(r.needing for r in by_intent)
    replied = sum(r.replied for r in by_intent)
    in_time = sum(r.in_time for r in by_intent)
    pending = sum(r.pending for r in by_intent)
    judged = needing - pending
    in_time_rate = in_time / judged if judged else None
    return ReplyFigures(
        needing=needing,
        replied=replied,
        in_time=in_time,
        pending=pending,
        reply_rate=replied / needing if needing else None,
        in_time_rate=in_time_rate,
        goal=goal,
        goal_met=None if in_time_rate is None else in_time_rate >= goal,
        time_to_reply=_stats(waits),
        by_intent=by_intent,
        overdue_total=overdue_count(session, now=now),
        overdue=tuple(overdue_items(session, now=now, limit=top)),
    )
