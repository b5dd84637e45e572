"""After a batch: store each changed incident, regrade it, record its timeline, run its playbook."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from monitor.db.models import Incident, IncidentEvent
from monitor.incidents.aggregate import Tracked, assess_incident, make_title
from monitor.incidents.context import IncidentContext
from monitor.incidents.escalation import (
    alerted_channels,
    deliver,
    opened_channels,
    raise_incident_escalation,
    start_incident_escalation,
)
from monitor.incidents.lifecycle import reopen_incident
from monitor.incidents.messages import playbook_for
from monitor.incidents.recovery import note_volume
from monitor.incidents.spikes import ALL, VolumeReading
from monitor.incidents.states import ACTIVE, RESOLVED
from playbooks import Silence, grade_rank

MILESTONES = (10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000)


@dataclass
class AssignResult:
    """What one batch did to incidents."""

    mentions: int = 0
    assigned: int = 0
    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    alerts: int = 0
    suppressed: int = 0


def finish_incident(
    session: Session, *, ctx: IncidentContext, tracked: Tracked,
    readings: dict[tuple[str, str], VolumeReading], now: datetime,
    silences: Sequence[Silence], result: AssignResult,
) -> None:
    """Store aggregates, regrade, record the timeline and run the playbook for one incident."""
    inc = tracked.row
    tracked.store()
    lead = tracked.lead_category()
    facet = None
    if lead is not None and lead != inc.category:
        # a more severe facet of the story joined: the incident follows it (playbook, title)
        facet, tracked.category, inc.category = inc.category, lead, lead
        excerpt = inc.title.partition(": ")[2]
        inc.title = make_title(ctx=ctx, entity_id=inc.entity_id, category=lead, text=excerpt)
    reading = readings.get((inc.entity_id, inc.category or ALL))
    spread = reading.spread_ratio if reading is not None else None
    assessment = assess_incident(tracked, ctx=ctx, spread=spread)
    old_grade, old_peak = inc.grade, inc.peak_grade
    inc.grade = assessment.grade
    inc.likelihood, inc.impact = assessment.likelihood, assessment.impact
    inc.reasons = list(assessment.reasons)
    if grade_rank(assessment.grade) > grade_rank(inc.peak_grade):
        inc.peak_grade = assessment.grade
    inc.updated_at = now
    spike_started = reading is not None and note_volume(inc, reading, now=now)
    # set only during a spike wave (until its recovery): the tick looks for these
    inc.spike_ratio = spread if (inc.stats or {}).get("spiked") else None
    added = len(tracked.new_mentions)
    if tracked.is_new:
        result.opened.append(inc.id)
        _event(session, inc, "opened", now, first_mention=tracked.stats.get("first_mention"),
               category=inc.category, reasons=inc.reasons, volume=_describe(reading),
               mentions=added)
        inc.stats = {**(inc.stats or {}), "milestone": _milestone(inc.mention_count)}
    else:
        result.updated.append(inc.id)
        _event(session, inc, "evidence", now, added=added, total=inc.mention_count,
               closed=tracked.closed_join or None, first=tracked.new_mentions[0])
        if facet is not None:
            _event(session, inc, "category_changed", now, previous=facet, category=inc.category,
                   mix=inc.categories)
        if old_grade != inc.grade:
            _event(session, inc, "grade_changed", now, previous=old_grade, reasons=inc.reasons)
    if spike_started:
        _event(session, inc, "spike", now, volume=_describe(reading))
    sent = suppressed = 0
    if tracked.reopened:
        result.reopened.append(inc.id)
        inc.state = RESOLVED  # reopen_incident performs the transition itself
        transition = reopen_incident(
            session, ctx=ctx, incident=inc, now=now, by=None, silences=silences,
            note=f"new evidence at or above its grade ({inc.grade}): mention "
            f"#{tracked.new_mentions[-1]}",
        )
        sent = transition.alerts
    elif inc.state in ACTIVE:
        if inc.escalation is None:
            if inc.last_seen_at >= now - ctx.rules.window:
                sent, suppressed = start_incident_escalation(
                    session, ctx=ctx, incident=inc, now=now, silences=silences
                )
        elif grade_rank(inc.peak_grade) > grade_rank(old_peak):
            sent, suppressed = raise_incident_escalation(
                session, ctx=ctx, incident=inc, now=now, silences=silences
            )
        if not tracked.is_new:
            a, b = _milestone_update(session, ctx=ctx, incident=inc, reading=reading, now=now,
                                     silences=silences)
            sent, suppressed = sent + a, suppressed + b
    result.alerts += sent
    result.suppressed += suppressed


def _milestone(count: int) -> int:
    return max((m for m in MILESTONES if m <= count), default=0)


def _milestone_update(
    session: Session, *, ctx: IncidentContext, incident: Incident,
    reading: VolumeReading | None, now: datetime, silences: Sequence[Silence],
) -> tuple[int, int]:
    """An evidence summary in the thread when the count passes 10, 25, 50, 100, 250..."""
    reached = _milestone(incident.mention_count)
    if reached <= int((incident.stats or {}).get("milestone", 0)):
        return 0, 0
    incident.stats = {**(incident.stats or {}), "milestone": reached}
    # the thread on the first-level channels; escalation contacts are not told every count
    playbook = playbook_for(incident, ctx)
    group = playbook.first_notify_group() if playbook is not None else None
    steps = playbook.steps[group[0] : group[1]] if playbook is not None and group else ()
    first_level = {c for step in steps for c in getattr(step, "channels", ())}
    if any(getattr(step, "targets", ()) for step in steps):
        # people targets were routed at alert time: the channels the opening went to
        first_level.update(opened_channels(session, incident.id))
    channels = [c for c in alerted_channels(session, incident.id) if c in first_level]
    if not channels:
        return 0, 0
    note = (
        f"{incident.mention_count} mentions so far ({incident.negative_count} negative, "
        f"reach {incident.reach_total:,})"
        + (f"; {reading.describe()}" if reading is not None else "")
    )
    return deliver(
        session, ctx=ctx, incident=incident, event="evidence", channels=channels,
        key=f"{incident.id}/evidence/{reached}", now=now, silences=silences, note=note,
    )


def _describe(reading: VolumeReading | None) -> str | None:
    return reading.describe() if reading is not None else None


def _event(session: Session, incident: Incident, kind: str, now: datetime, **detail: Any) -> None:
    session.add(
        IncidentEvent(
            incident_id=incident.id, at=now, kind=kind, actor=None, grade=incident.grade,
            detail={k: v for k, v in detail.items() if v is not None},
        )
    )
