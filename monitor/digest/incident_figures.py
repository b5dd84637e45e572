"""Incident figures: counts by grade and matrix cell in SQL, durations against playbook SLAs.

An incident belongs to the period it was opened in. Time to acknowledge runs from ``opened_at``
(for an incident opened off hours and held, from when working hours opened) to
``acknowledged_at`` (or ``resolved_at`` when it was closed without an acknowledgement); time
to resolve runs to ``resolved_at`` of incidents now resolved. An SLA breach is an
acknowledgement later than the playbook's ``time_to_ack``, or none yet with the target passed.
Incidents flagged ``drill`` (older databases hold them; drills now run in a database of
their own) never count here.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from monitor.db.models import Incident, IncidentEvent
from monitor.digest.model import DurationStats, IncidentRow, SlaRow
from monitor.digest.period import Period
from monitor.incidents.states import CLOSED, RESOLVED
from playbooks import ALL_GRADES, Playbook, select_playbook

_RANK = {grade: rank for rank, grade in enumerate(ALL_GRADES)}


def grade_rank_sql(column: Any) -> ColumnElement[int]:
    """The grade's rank (none 0 .. critical 4; unknown -1) as a SQL expression."""
    return case(*((column == g, r) for g, r in _RANK.items()), else_=-1)


def opened_in(period: Period, *, drill: bool) -> ColumnElement[bool]:
    return and_(
        Incident.opened_at >= period.start_at,
        Incident.opened_at < period.end_at,
        Incident.drill.is_(drill),
    )


def grade_counts(session: Session, period: Period) -> dict[str, int]:
    """Real incidents opened in the period, by peak grade."""
    stmt = (
        select(Incident.peak_grade, func.count())
        .where(opened_in(period, drill=False))
        .group_by(Incident.peak_grade)
    )
    return {grade: int(count) for grade, count in session.execute(stmt)}


def state_count(session: Session, period: Period, state: str) -> int:
    """Real incidents opened in the period that are now in ``state``."""
    stmt = select(func.count()).where(opened_in(period, drill=False), Incident.state == state)
    return int(session.execute(stmt).scalar_one())


def matrix_counts(session: Session, period: Period) -> tuple[tuple[int, ...], ...]:
    """Real incidents of the period by likelihood (rows) x impact (columns), 1-5 each."""
    stmt = (
        select(Incident.likelihood, Incident.impact, func.count())
        .where(opened_in(period, drill=False))
        .group_by(Incident.likelihood, Incident.impact)
    )
    grid = [[0] * 5 for _ in range(5)]
    for likelihood, impact, count in session.execute(stmt):
        row = min(max(int(likelihood), 1), 5) - 1
        col = min(max(int(impact), 1), 5) - 1
        grid[row][col] += int(count)
    return tuple(tuple(row) for row in grid)


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """One incident's columns needed for durations and tables."""

    id: int
    peak_grade: str
    grade: str
    entity_id: str
    category: str | None
    title: str
    first_seen_at: datetime
    opened_at: datetime
    state: str
    mention_count: int
    playbook: str | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    responded_at: datetime | None
    # When the SLA clock started, if later than the opening: a held (off-hours) incident's
    # clock starts when working hours open, as in the incident report.
    clock_start: datetime | None = None


_FACT_COLUMNS = (
    Incident.id,
    Incident.peak_grade,
    Incident.grade,
    Incident.entity_id,
    Incident.category,
    Incident.title,
    Incident.first_seen_at,
    Incident.opened_at,
    Incident.state,
    Incident.mention_count,
    Incident.playbook,
    Incident.acknowledged_at,
    Incident.resolved_at,
    Incident.responded_at,
)


def _facts(row: Any) -> IncidentFacts:
    return IncidentFacts(*row)


def _with_holds(session: Session, facts: list[IncidentFacts]) -> list[IncidentFacts]:
    """``facts`` with ``clock_start`` set for incidents opened off hours and held, unless
    they have since moved to another playbook (a rise pages at once)."""
    if not facts:
        return facts
    held: dict[int, tuple[datetime, object]] = {}
    rows = session.execute(
        select(IncidentEvent.incident_id, IncidentEvent.detail)
        .where(IncidentEvent.kind == "held", IncidentEvent.incident_id.in_([f.id for f in facts]))
        .order_by(IncidentEvent.at, IncidentEvent.id)
    )
    for incident_id, detail in rows:
        until = (detail or {}).get("until")
        if (detail or {}).get("starts_clock") and isinstance(until, str):
            held.setdefault(incident_id, (datetime.fromisoformat(until), detail.get("playbook")))
    return [
        dataclasses.replace(f, clock_start=held[f.id][0])
        if f.id in held and held[f.id][1] == f.playbook
        else f
        for f in facts
    ]


def incident_facts(session: Session, period: Period, *, drill: bool) -> list[IncidentFacts]:
    """Incidents opened in the period (bounded by how many incidents a week can open)."""
    stmt = select(*_FACT_COLUMNS).where(opened_in(period, drill=drill)).order_by(Incident.id)
    return _with_holds(session, [_facts(row) for row in session.execute(stmt)])


def backlog(
    session: Session, *, before: datetime, state: str, limit: int
) -> tuple[int, list[IncidentFacts]]:
    """Real incidents opened before ``before`` and now in ``state``: total, and the worst first."""
    where = and_(Incident.opened_at < before, Incident.state == state, Incident.drill.is_(False))
    total = int(session.execute(select(func.count()).where(where)).scalar_one())
    stmt = (
        select(*_FACT_COLUMNS)
        .where(where)
        .order_by(grade_rank_sql(Incident.peak_grade).desc(), Incident.opened_at, Incident.id)
        .limit(limit)
    )
    return total, _with_holds(session, [_facts(row) for row in session.execute(stmt)])


class SlaBook:
    """Finds each incident's playbook (by stored name, else by grade and category)."""

    def __init__(self, playbooks: Sequence[Playbook]) -> None:
        self._playbooks = tuple(playbooks)
        self._by_name = {p.name: p for p in playbooks}

    def playbook_for(self, fact: IncidentFacts) -> Playbook | None:
        if fact.playbook and fact.playbook in self._by_name:
            return self._by_name[fact.playbook]
        if fact.peak_grade not in _RANK or fact.peak_grade == "none":
            return None
        return select_playbook(
            playbooks=self._playbooks, grade=fact.peak_grade, category=fact.category
        )

    def name_for(self, fact: IncidentFacts) -> str | None:
        found = self.playbook_for(fact)
        return found.name if found is not None else fact.playbook


def _since_opening(fact: IncidentFacts, done: datetime | None) -> float | None:
    return None if done is None else max((done - _clock_start(fact)).total_seconds(), 0.0)


def _clock_start(fact: IncidentFacts) -> datetime:
    return max(fact.opened_at, fact.clock_start) if fact.clock_start else fact.opened_at


def ack_seconds(fact: IncidentFacts) -> float | None:
    """Seconds from opening to acknowledgement (or to closing without one)."""
    return _since_opening(fact, fact.acknowledged_at or fact.resolved_at)


def resolve_seconds(fact: IncidentFacts) -> float | None:
    """Seconds from opening to resolution, for incidents now resolved."""
    return _since_opening(fact, fact.resolved_at) if fact.state == RESOLVED else None


def response_seconds(fact: IncidentFacts) -> float | None:
    """Seconds from opening to the first public response."""
    return _since_opening(fact, fact.responded_at)


def _breached(fact: IncidentFacts, seconds: float | None, target: timedelta | None,
              now: datetime) -> bool | None:
    """Done late, or not done while open past the target; None without a target or for an
    incident closed without it (nothing to measure)."""
    if target is None:
        return None
    if seconds is None:
        if fact.state in CLOSED:
            return None
        return (now - _clock_start(fact)) > target
    return seconds > target.total_seconds()


def ack_breached(fact: IncidentFacts, target: timedelta | None, now: datetime) -> bool | None:
    """Late acknowledgement, or none yet and the target passed; None without a target."""
    return _breached(fact, ack_seconds(fact), target, now)


def response_breached(fact: IncidentFacts, target: timedelta | None,
                      now: datetime) -> bool | None:
    """A late first response, or none recorded while open past the target."""
    return _breached(fact, response_seconds(fact), target, now)


def stats(values: Iterable[float | None]) -> DurationStats:
    """Median and worst of the values that are set."""
    present = sorted(v for v in values if v is not None)
    if not present:
        return DurationStats(count=0, median_s=None, worst_s=None)
    return DurationStats(
        count=len(present), median_s=float(statistics.median(present)), worst_s=present[-1]
    )


def sla_rows(
    facts: Sequence[IncidentFacts], book: SlaBook, now: datetime
) -> tuple[tuple[SlaRow, ...], int]:
    """One row per playbook (most incidents first), and the total number of SLA breaches."""
    groups: dict[str | None, list[IncidentFacts]] = {}
    targets: dict[str | None, Playbook | None] = {}
    for fact in facts:
        playbook = book.playbook_for(fact)
        key = playbook.name if playbook is not None else None
        groups.setdefault(key, []).append(fact)
        targets[key] = playbook
    rows = []
    breaches = 0
    for key, members in groups.items():
        playbook = targets[key]
        ack_target = playbook.sla.time_to_ack if playbook is not None else None
        breached = sum(1 for f in members if ack_breached(f, ack_target, now))
        breaches += breached
        acks = [ack_seconds(f) for f in members]
        resolves = [resolve_seconds(f) for f in members]
        response_target = playbook.sla.time_to_first_response if playbook is not None else None
        responses = [response_seconds(f) for f in members]
        rows.append(
            SlaRow(
                playbook=key,
                ack_target_s=ack_target.total_seconds() if ack_target is not None else None,
                response_target_s=(
                    response_target.total_seconds() if response_target is not None else None
                ),
                incidents=len(members),
                acknowledged=sum(1 for a in acks if a is not None),
                time_to_ack=stats(acks),
                ack_breaches=breached,
                resolved=sum(1 for r in resolves if r is not None),
                time_to_resolve=stats(resolves),
                responded=sum(1 for r in responses if r is not None),
                time_to_response=stats(responses),
                response_breaches=sum(
                    1 for f in members if response_breached(f, response_target, now)),
            )
        )
    rows.sort(key=lambda r: (-r.incidents, r.playbook or "~"))
    return tuple(rows), breaches


def incident_row(
    fact: IncidentFacts, *, names: dict[str, str], book: SlaBook, now: datetime
) -> IncidentRow:
    """The table row of one incident."""
    playbook = book.playbook_for(fact)
    target = playbook.sla.time_to_ack if playbook is not None else None
    return IncidentRow(
        id=fact.id,
        grade=fact.peak_grade,
        current_grade=fact.grade,
        entity_id=fact.entity_id,
        entity_name=names.get(fact.entity_id, fact.entity_id),
        category=fact.category,
        title=fact.title,
        first_seen_at=fact.first_seen_at,
        opened_at=fact.opened_at,
        state=fact.state,
        mention_count=fact.mention_count,
        playbook=book.name_for(fact),
        time_to_ack_s=ack_seconds(fact),
        time_to_resolve_s=resolve_seconds(fact),
        ack_breached=ack_breached(fact, target, now),
    )


def top_facts(facts: Sequence[IncidentFacts], limit: int) -> list[IncidentFacts]:
    """Highest peak grade first, then most mentions, then earliest."""
    ranked = sorted(
        facts,
        key=lambda f: (-_RANK.get(f.peak_grade, -1), -f.mention_count, f.opened_at, f.id),
    )
    return ranked[:limit]
