"""One escalation tick: every escalation step that is due, then every recovery that is ready.

The service runs it every ``service.escalation_interval``; ``crisiswatch escalations tick``
runs it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db.models import Incident
from monitor.incidents.context import IncidentContext
from monitor.incidents.escalation import active_silences, advance_escalation
from monitor.incidents.recovery import check_recoveries
from monitor.incidents.states import ACTIVE


@dataclass
class TickResult:
    """What one escalation tick did."""

    incidents: int = 0
    alerts: int = 0
    suppressed: int = 0
    recoveries: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def tick_escalations(session: Session, *, ctx: IncidentContext, now: datetime) -> TickResult:
    """Send every escalation step due by ``now`` and every recovery update that is ready."""
    result = TickResult()
    silences = active_silences(session, now=now)
    due = session.scalars(
        select(Incident)
        .where(Incident.next_due_at <= now, Incident.state.in_(ACTIVE))
        .order_by(Incident.next_due_at, Incident.id)
        .with_for_update(skip_locked=True)
    ).all()
    for incident in due:
        sent, suppressed = advance_escalation(
            session, ctx=ctx, incident=incident, now=now, silences=silences
        )
        result.incidents += 1
        result.alerts += sent
        result.suppressed += suppressed
    recovered, sent, suppressed = check_recoveries(
        session, ctx=ctx, now=now, silences=silences
    )
    result.recoveries += recovered
    result.alerts += sent
    result.suppressed += suppressed
    session.flush()
    return result
