"""The period's post-incident reviews and overdue action items, for the digest.

A review counts in the period in which it was completed (``--complete``). An action item is
overdue at a moment when it existed, was due before it, and was open then: open now, or
closed (done or dropped) only after that moment. Overdue items are judged at the period's end,
or at the digest's own time when that comes first (a report on the current week). Drill
incidents are left out. ``overdue_actions`` is the list the digest's next steps read too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from monitor.db.models import ActionItem, Incident, Review
from monitor.digest.model import ActionRow, ReviewRow, Reviews
from monitor.digest.period import Period
from monitor.incidents.states import ACTION_OPEN as OPEN


def _overdue_at(as_of: datetime) -> Any:
    return (
        (ActionItem.created_at <= as_of)
        & (ActionItem.due_at < as_of)
        & or_(ActionItem.state == OPEN, ActionItem.state_changed_at > as_of)
        & Incident.drill.is_(False)
    )


def _joined(stmt: Any) -> Any:
    return stmt.join(Review, Review.id == ActionItem.review_id).join(
        Incident, Incident.id == Review.incident_id
    )


def overdue_actions(
    session: Session, *, as_of: datetime, limit: int | None = None
) -> list[ActionRow]:
    """Action items overdue at ``as_of`` (id, incident, text, owner, due), longest overdue
    first."""
    stmt = (
        _joined(
            select(ActionItem.id, Incident.id, ActionItem.text, ActionItem.owner, ActionItem.due_at)
        )
        .where(_overdue_at(as_of))
        .order_by(ActionItem.due_at, ActionItem.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [
        ActionRow(id=i, incident_id=incident, text=text, owner=owner, due_at=due)
        for i, incident, text, owner, due in session.execute(stmt)
    ]


def overdue_count(session: Session, *, as_of: datetime) -> int:
    """How many action items were overdue at ``as_of``."""
    stmt = _joined(select(func.count(ActionItem.id))).where(_overdue_at(as_of))
    return int(session.execute(stmt).scalar_one())


def reviews(session: Session, period: Period, *, now: datetime, top: int) -> Reviews:
    """Reviews completed in ``period`` and the action items overdue at its end."""
    as_of = min(now, period.end_at)
    in_period = (
        (Review.completed_at >= period.start_at)
        & (Review.completed_at < period.end_at)
        & Incident.drill.is_(False)
    )
    total = session.execute(
        select(func.count(Review.id))
        .join(Incident, Incident.id == Review.incident_id)
        .where(in_period)
    ).scalar_one()
    done = (
        select(Review, Incident.title, Incident.peak_grade)
        .join(Incident, Incident.id == Review.incident_id)
        .where(in_period)
        .order_by(Review.completed_at.desc(), Review.id.desc())
        .limit(top)
    )
    found = list(session.execute(done))
    counts: dict[int, tuple[int, int]] = {}
    if found:
        tally = (
            select(
                ActionItem.review_id,
                func.count(ActionItem.id),
                func.count(ActionItem.id).filter(ActionItem.state == OPEN),
            )
            .where(ActionItem.review_id.in_([review.id for review, _, _ in found]))
            .group_by(ActionItem.review_id)
        )
        counts = {r: (int(all_), int(open_)) for r, all_, open_ in session.execute(tally)}
    rows = tuple(
        ReviewRow(
            incident_id=review.incident_id,
            title=title,
            grade=grade,
            completed_at=review.completed_at,
            completed_by=review.completed_by or "",
            causes=len(review.causes or []),
            actions=counts.get(review.id, (0, 0))[0],
            actions_open=counts.get(review.id, (0, 0))[1],
        )
        for review, title, grade in found
        if review.completed_at is not None  # always, by the query's condition
    )
    return Reviews(
        completed_total=int(total),
        completed=rows,
        overdue_total=overdue_count(session, as_of=as_of),
        overdue=tuple(overdue_actions(session, as_of=as_of, limit=top)),
        as_of=as_of,
    )
