"""Driving each incident's playbook: escalation steps and rises become outbox rows.

Every alert is written with ``enqueue_alert`` in the caller's transaction, keyed by the
escalation step (``Notify.key``) or by the incident change, so running a tick twice, or again
after a crash, never alerts twice. A silenced incident is still escalated and recorded: its
rows are written as ``suppressed`` and never sent.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.times import format_time
from monitor.alerting.mute import holds
from monitor.alerting.outbox import enqueue_alert
from monitor.db.models import Alert, Incident, IncidentEvent
from monitor.db.models import Silence as SilenceRow
from monitor.escalation_targets import Routing, recipient, route
from monitor.incidents.context import IncidentContext
from monitor.incidents.messages import auto_reply, build_message, escalation_state
from monitor.incidents.off_hours import held_until
from playbooks import (
    EscalationState,
    Notify,
    Playbook,
    Silence,
    due_actions,
    grade_rank,
    is_silenced,
    regrade,
    select_playbook,
    start_escalation,
)

log = logging.getLogger(__name__)


def active_silences(session: Session, *, now: datetime) -> list[Silence]:
    """Silences still in force at ``now``, as the playbooks library's values."""
    rows = session.scalars(select(SilenceRow).where(SilenceRow.until > now))
    out: list[Silence] = []
    for row in rows:
        try:
            out.append(
                Silence(
                    entity=row.entity_id,
                    category=row.category,
                    source=row.source_id,
                    until=row.until,
                    reason=row.reason,
                    created_by=row.created_by,
                )
            )
        except ValueError as exc:  # a hand-edited row: skip it, never stop alerting
            log.warning("ignoring invalid silence #%s: %s", row.id, exc)
    return out


def silence_for(incident: Incident, silences: Sequence[Silence], now: datetime) -> Silence | None:
    """The silence covering the incident: a source silence must cover every one of its sources."""
    sources: list[str | None] = [
        str(s["source"]) for s in incident.top_sources or [] if isinstance(s, dict)
    ]
    found: list[Silence] = []
    for source in sources or [None]:
        match = is_silenced(
            silences=silences,
            entity=incident.entity_id,
            category=incident.category,
            source=source,
            now=now,
        )
        if match is None:
            return None
        found.append(match)
    return min(found, key=lambda s: s.until) if found else None


def alerted_channels(session: Session, incident_id: int) -> list[str]:
    """Channels that have had (or had suppressed) an alert for this incident, in first-use order."""
    rows = session.execute(
        select(Alert.channel).where(Alert.incident_id == incident_id).order_by(Alert.id)
    )
    return list(dict.fromkeys(channel for (channel,) in rows))


def opened_channels(session: Session, incident_id: int) -> list[str]:
    """Channels that had (or had suppressed) the incident's "opened" alert."""
    rows = session.execute(
        select(Alert.channel).where(Alert.incident_id == incident_id, Alert.event == "opened")
    )
    return list(dict.fromkeys(channel for (channel,) in rows))


def deliver(
    session: Session,
    *,
    ctx: IncidentContext,
    incident: Incident,
    event: str,
    channels: Sequence[str],
    key: str,
    now: datetime,
    silences: Sequence[Silence],
    note: str | None = None,
    level: int = 0,
    actor: str | None = None,
    routing: Routing | None = None,
) -> tuple[int, int]:
    """Enqueue one alert per enabled channel and record it on the timeline; (sent, suppressed).

    With ``routing`` (an escalation step's people), its channels are used instead of
    ``channels``, each alert mentioning the people routed to its channel."""
    if routing is not None:
        channels = list(routing.people)
    wanted = list(dict.fromkeys(channels))
    usable = [c for c in wanted if c in ctx.channels]
    skipped = [c for c in wanted if c not in ctx.channels]
    silence = silence_for(incident, silences, now)
    reason = (
        f"silenced until {format_time(silence.until, ctx.timezone)} by {silence.created_by}: "
        f"{silence.reason}"
        if silence is not None
        else None
    )
    muted = holds(ctx.channel_windows, usable, now=now, zone=ctx.timezone)
    rows = []
    if usable:
        with session.no_autoflush:  # reads only stored mentions; pending rows can wait
            message = build_message(
                session, incident=incident, event=event, ctx=ctx, now=now, note=note,
                escalation_level=level,
            )
        groups = [(usable, ())] if routing is None else routing.groups()
        for group, people in groups:
            wanted_here = [c for c in group if c in usable]
            if not wanted_here:
                continue
            addressed = message
            if routing is not None:
                addressed = dataclasses.replace(
                    message,
                    recipients=tuple(recipient(p) for p in people),
                    paging=tuple(routing.paging),
                )
            rows += enqueue_alert(
                session,
                incident_id=incident.id,
                message=addressed,
                channels=wanted_here,
                key=key,
                now=now,
                suppressed_reason=reason,
                held={c: (h.until, h.reason) for c, h in muted.items() if c in wanted_here},
            )
    unknown = [c for c in skipped if c not in ctx.known_channels]
    if unknown:
        log.warning("incident %s: no channel named %s", incident.id, ", ".join(unknown))
    if len(unknown) < len(skipped):
        log.info("incident %s: channel(s) disabled: %s", incident.id,
                 ", ".join(c for c in skipped if c in ctx.known_channels))
    if routing is not None and routing.paging:
        log.warning("incident %s: %s", incident.id, "; ".join(routing.paging))
    if rows or skipped or (routing is not None and routing.paging):
        session.add(
            IncidentEvent(
                incident_id=incident.id,
                at=now,
                kind="alert",
                actor=actor,
                grade=incident.peak_grade,
                detail={
                    "event": event,
                    "level": level,
                    "channels": [r.channel for r in rows],
                    "skipped_channels": skipped,
                    "suppressed": reason,
                    **({"held": {c: h.reason for c, h in muted.items()}} if muted else {}),
                    "note": note,
                    "key": key,
                    **_people_detail(routing),
                },
            )
        )
    return (0, len(rows)) if reason else (len(rows), 0)


def _people_detail(routing: Routing | None) -> dict[str, object]:
    if routing is None or not (routing.paging or any(routing.people.values())):
        return {}
    people = {c: [p.id for p in ps] for c, ps in routing.people.items() if ps}
    return {"people": people, "paging": list(routing.paging)}


def _send_actions(
    session: Session,
    *,
    ctx: IncidentContext,
    incident: Incident,
    playbook: Playbook | None,
    actions: Sequence[Notify],
    rises: int,
    started_at: datetime | None,
    first_event: str,
    now: datetime,
    silences: Sequence[Silence],
) -> tuple[int, int]:
    sent = suppressed = 0
    for index, action in enumerate(actions):
        if index < rises:
            event = "grade_changed"
        elif action.level == 1 and action.due_at == started_at:
            event = first_event
        else:
            event = "escalated"
        routing = None
        if action.targets:
            routing = route(
                action, playbook=playbook, roster=ctx.roster, oncall=ctx.oncall, now=now
            )
        a, b = deliver(
            session, ctx=ctx, incident=incident, event=event, channels=action.channels,
            key=action.key, now=now, silences=silences, note=action.reason, level=action.level,
            routing=routing,
        )
        sent, suppressed = sent + a, suppressed + b
    return sent, suppressed


def _store_state(incident: Incident, state: EscalationState) -> None:
    incident.escalation = state.to_dict()
    incident.playbook = state.playbook
    incident.next_due_at = state.next_due_at


def start_incident_escalation(
    session: Session,
    *,
    ctx: IncidentContext,
    incident: Incident,
    now: datetime,
    silences: Sequence[Silence],
    first_event: str = "opened",
) -> tuple[int, int]:
    """Start the playbook for the incident's grade and send what is due now."""
    grade = incident.peak_grade
    playbook = select_playbook(playbooks=ctx.playbooks, grade=grade, category=incident.category)
    if playbook is None:
        incident.next_due_at = None
        return 0, 0
    until = held_until(playbook, ctx.hours.for_incident(incident.entity_id, incident.category), now)
    if until is not None:
        # The escalation starts when working hours open, so its SLA clock does too.
        state = start_escalation(
            incident_id=str(incident.id), playbook=playbook, grade=grade, now=until
        )
        _store_state(incident, state)
        return hold_off_hours(
            session, ctx=ctx, incident=incident, playbook=playbook, until=until, now=now,
            silences=silences, starts_clock=True,
        )
    state = start_escalation(incident_id=str(incident.id), playbook=playbook, grade=grade, now=now)
    actions, state = due_actions(state=state, playbook=playbook, now=now)
    _store_state(incident, state)
    return _send_actions(
        session, ctx=ctx, incident=incident, playbook=playbook, actions=actions, rises=0,
        started_at=state.started_at, first_event=first_event, now=now, silences=silences,
    )


def raise_incident_escalation(
    session: Session,
    *,
    ctx: IncidentContext,
    incident: Incident,
    now: datetime,
    silences: Sequence[Silence],
) -> tuple[int, int]:
    """After a grade rise: send pending steps, then move to the higher playbook, alerting once."""
    state = escalation_state(incident)
    if state is None:
        return start_incident_escalation(
            session, ctx=ctx, incident=incident, now=now, silences=silences
        )
    grade = incident.peak_grade
    if grade_rank(grade) <= grade_rank(state.grade):
        return 0, 0
    new_playbook = select_playbook(
        playbooks=ctx.playbooks, grade=grade, category=incident.category
    )
    if new_playbook is None:
        return 0, 0
    sent = suppressed = 0
    old_playbook = ctx.playbook_named(state.playbook)
    if old_playbook is not None:
        pending, state = due_actions(state=state, playbook=old_playbook, now=now)
        a, b = _send_actions(
            session, ctx=ctx, incident=incident, playbook=old_playbook, actions=pending, rises=0,
            started_at=state.started_at, first_event="opened", now=now, silences=silences,
        )
        sent, suppressed = a, b
    group = new_playbook.first_notify_group()
    rises = (group[1] - group[0]) if group else 0
    actions, state = regrade(state=state, new_playbook=new_playbook, new_grade=grade, now=now)
    _store_state(incident, state)
    a, b = _send_actions(
        session, ctx=ctx, incident=incident, playbook=new_playbook, actions=actions, rises=rises,
        started_at=state.started_at, first_event="opened", now=now, silences=silences,
    )
    return sent + a, suppressed + b


def advance_escalation(
    session: Session,
    *,
    ctx: IncidentContext,
    incident: Incident,
    now: datetime,
    silences: Sequence[Silence],
) -> tuple[int, int]:
    """Send the steps of the incident's playbook that are due at ``now``."""
    state = escalation_state(incident)
    if state is None:
        incident.next_due_at = None
        return 0, 0
    playbook: Playbook | None = ctx.playbook_named(state.playbook)
    if playbook is None:
        log.warning("incident %s: playbook %r no longer exists", incident.id, state.playbook)
        session.add(
            IncidentEvent(
                incident_id=incident.id, at=now, kind="escalation_stopped", grade=incident.grade,
                detail={"reason": f"playbook '{state.playbook}' is no longer configured"},
            )
        )
        incident.next_due_at = None
        return 0, 0
    until = held_until(playbook, ctx.hours.for_incident(incident.entity_id, incident.category), now)
    if until is not None and state.next_due_at is not None and not state.done:
        # A step falling due off hours waits for the opening; later waits count from there.
        _store_state(incident, dataclasses.replace(state, next_due_at=until))
        return hold_off_hours(
            session, ctx=ctx, incident=incident, playbook=playbook, until=until, now=now,
            silences=silences,
        )
    # Only a start held off hours leaves the first step unsent after the opening (a rise or
    # a reopening sends its first group at once).
    released = state.step_index == 0 and state.cycle == 0 and state.started_at > incident.opened_at
    actions, state = due_actions(state=state, playbook=playbook, now=now)
    if released:
        since = format_time(incident.opened_at, ctx.timezone)
        actions = [
            dataclasses.replace(a, reason=f"{a.reason} (held outside working hours since {since})")
            for a in actions
        ]
    _store_state(incident, state)
    return _send_actions(
        session, ctx=ctx, incident=incident, playbook=playbook, actions=actions, rises=0,
        started_at=state.started_at, first_event="opened", now=now, silences=silences,
    )


def hold_off_hours(
    session: Session,
    *,
    ctx: IncidentContext,
    incident: Incident,
    playbook: Playbook,
    until: datetime,
    now: datetime,
    silences: Sequence[Silence],
    starts_clock: bool = False,
) -> tuple[int, int]:
    """Record that the incident's steps wait for working hours (``until``) and, where the
    playbook has an approved off-hours auto-reply, put it on the timeline ready to post and
    send it at once to the playbook's ``off_hours.auto_reply_to`` channels. ``starts_clock``:
    the escalation itself starts at ``until`` (the incident opened off hours), and so do its
    SLA clocks."""
    reply = auto_reply(incident, ctx=ctx, playbook=playbook, now=now)
    opening = format_time(until, ctx.timezone)
    sent = suppressed = 0
    targets = playbook.off_hours.auto_reply_to
    if reply is not None and targets:
        note = (
            f"outside working hours: responders are notified at {opening}. Post this approved "
            f"auto-reply ({reply['script']}) now: {reply['text']}"
        )
        sent, suppressed = deliver(
            session, ctx=ctx, incident=incident, event="opened", channels=targets,
            key=f"{incident.id}/off-hours/{until.isoformat()}", now=now, silences=silences,
            note=note, level=0,
        )
    # After the auto-reply's alert, which would otherwise restart the report's SLA clock.
    session.add(
        IncidentEvent(
            incident_id=incident.id, at=now, kind="held", grade=incident.peak_grade,
            detail={
                "until": until.isoformat(),
                "note": f"outside working hours: {playbook.name} playbook steps held until "
                f"{opening}",
                "auto_reply": reply,
                "starts_clock": starts_clock,
                "playbook": playbook.name,
            },
        )
    )
    return sent, suppressed
