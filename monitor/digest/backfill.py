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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.db.models import Incident
from monitor.digest import incident_figures as inc
from monitor.digest.labels import Labels
from monitor.digest.mention_figures import LateCounts
from monitor.digest.model import Basis
from monitor.digest.period import Period


def basis(session: Session, period: Period, *, late_after: timedelta, late: LateCounts) -> Basis:
    """The period's late and undated mentions (counted with the rest, see ``main_counts``) and
    its incidents opened out of step."""
    later = select(func.count()).where(
        inc.opened_in(period, drill=False), Incident.opened_at >= period.end_at
    )
    return Basis(
        late_after_s=late_after.total_seconds(),
        late_mentions=late.late,
        late_collected_first=late.first_collected,
        late_collected_last=late.last_collected,
        undated_mentions=late.undated,
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
