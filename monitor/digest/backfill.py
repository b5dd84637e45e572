"""What of a period arrived late: backfilled mentions, undated ones, incidents opened later.

A report counts mentions by publication time (``published_at``), so an export of old rows
dropped today fills the weeks the rows were published in, not this week. Such rows are flagged
rather than hidden: a mention collected more than ``late_after`` after publication is *late*,
and the report says how many of its mentions were late and when they were collected. Mentions
with no known publication time were stored at their collection time (``date_missing``); the
report counts them there and says so. Incidents follow their first mention (see
``incident_figures``); those opened after the period ended, or opened during it from earlier
mentions, are counted here too.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from monitor.db.models import Incident, Mention
from monitor.digest import incident_figures as inc
from monitor.digest.labels import Labels
from monitor.digest.mention_figures import in_period
from monitor.digest.model import Basis
from monitor.digest.period import Period


def late_condition(dialect: str, late_after: timedelta) -> ColumnElement[bool]:
    """``collected_at - published_at > late_after`` in the database's own date arithmetic."""
    if dialect == "sqlite":
        days = late_after.total_seconds() / 86400
        return func.julianday(Mention.collected_at) - func.julianday(Mention.published_at) > days
    return (Mention.collected_at - Mention.published_at) > late_after


def basis(session: Session, period: Period, *, late_after: timedelta) -> Basis:
    """Late and undated mentions of the period, and its incidents opened out of step."""
    late = late_condition(session.get_bind().dialect.name, late_after)
    stmt = select(
        func.sum(case((late, 1), else_=0)),
        func.min(case((late, Mention.collected_at))),
        func.max(case((late, Mention.collected_at))),
        func.sum(case((Mention.date_missing.is_(True), 1), else_=0)),
    ).where(in_period(period))
    late_count, first, last, undated = session.execute(stmt).one()
    later = select(func.count()).where(
        inc.opened_in(period, drill=False), Incident.opened_at >= period.end_at
    )
    return Basis(
        late_after_s=late_after.total_seconds(),
        late_mentions=int(late_count or 0),
        late_collected_first=first,
        late_collected_last=last,
        undated_mentions=int(undated or 0),
        incidents_opened_later=int(session.execute(later).scalar_one()),
        incidents_from_earlier=inc.opened_earlier_evidence(session, period),
    )


def basis_lines(meta_basis: Basis, labels: Labels) -> list[str]:
    """The sentences stating how the period was counted and what of it arrived late."""
    lb = labels
    lines = [lb("basis_rule")]
    b = meta_basis
    if b.late_mentions:
        lines.append(
            lb(
                "basis_late",
                count=lb.number(b.late_mentions),
                after=lb.duration(b.late_after_s),
                first=lb.moment(b.late_collected_first),
                last=lb.moment(b.late_collected_last),
            )
        )
    if b.undated_mentions:
        lines.append(lb("basis_undated", count=lb.number(b.undated_mentions)))
    if b.incidents_opened_later:
        lines.append(lb("basis_opened_later", count=lb.number(b.incidents_opened_later)))
    if b.incidents_from_earlier:
        lines.append(lb("basis_from_earlier", count=lb.number(b.incidents_from_earlier)))
    return lines
