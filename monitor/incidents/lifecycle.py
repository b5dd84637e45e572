"""Lifecycle: open -> acknowledged -> resolved, or false_positive; reopen. Who, when and why.
A public response is recorded alongside (``record_response``) without changing the state.

Each transition is one IncidentEvent and, for incidents already alerted, one alert into the
incident's thread on the channels that had it. Acknowledging or closing stops the escalation.
A false positive stores one correction label per mention (kind ``false_positive``, with the
text) for retraining.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from config.roster import UnknownPerson
from config.suggest import one_of
from monitor.db.models import Incident, IncidentEvent, IncidentMention, Label, Mention
from monitor.incidents.actors import Actor, identify, shown
from monitor.incidents.context import IncidentContext
from monitor.incidents.escalation import (
    active_silences,
    advance_escalation,
    alerted_channels,
    deliver,
    start_incident_escalation,
)
from monitor.incidents.messages import escalation_state
from monitor.incidents.states import ACKNOWLEDGED, ACTIVE, CLOSED, FALSE_POSITIVE, RESOLVED
from playbooks import ResponseScript, Silence, acknowledge, approval_status, text_sha256

MAX_NAME = 128
MAX_NOTE = 2000
LABEL_TEXT_CHARS = 5000


class LifecycleError(Exception):
    """A transition that is not allowed, or bad input (one line for the user)."""


class IncidentNotFound(LifecycleError, LookupError):
    """No incident (or mention) with that id."""


@dataclasses.dataclass(frozen=True)
class Transition:
    """The result of a lifecycle call."""

    incident_id: int
    state: str
    at: datetime
    by: str | None
    alerts: int = 0
    labels: int = 0


def check_name(by: str | None, *, required: bool = True) -> str | None:
    """A responder's name as given (one printable line), or LifecycleError."""
    text = " ".join((by or "").split())
    if not text:
        if required:
            raise LifecycleError("a name is required (--by NAME)")
        return None
    if len(text) > MAX_NAME or any(unicodedata.category(ch)[0] == "C" for ch in text):
        raise LifecycleError(f"name must be one printable line of at most {MAX_NAME} characters")
    return text


def _note(note: str | None, *, required: bool = False) -> str | None:
    text = (note or "").strip()
    if not text:
        if required:
            raise LifecycleError("a note is required (--note TEXT)")
        return None
    if len(text) > MAX_NOTE:
        raise LifecycleError(f"note is longer than {MAX_NOTE} characters")
    return text


def get_incident(session: Session, incident_id: int) -> Incident:
    """The incident, locked for update where the database supports it."""
    incident = session.scalars(
        select(Incident).where(Incident.id == incident_id).with_for_update()
    ).first()
    if incident is None:
        raise IncidentNotFound(f"no incident #{incident_id}")
    return incident


def _event(session: Session, incident: Incident, *, kind: str, by: str | None, now: datetime,
           **detail: object) -> None:
    session.add(
        IncidentEvent(
            incident_id=incident.id, at=now, kind=kind, actor=by, grade=incident.grade,
            detail={k: v for k, v in detail.items() if v is not None},
        )
    )


def stop_escalation(incident: Incident, now: datetime) -> None:
    """No further escalation step is due (acknowledged or closed)."""
    state = escalation_state(incident)
    if state is not None:
        incident.escalation = acknowledge(state=state, now=now).to_dict()
    incident.next_due_at = None


def announce(
    session: Session, *, ctx: IncidentContext, incident: Incident, event: str, now: datetime,
    note: str | None, by: str | None, silences: Sequence[Silence] | None = None,
) -> int:
    """One update into the incident's thread on the channels that had it; alerts queued."""
    channels = alerted_channels(session, incident.id)
    if not channels:
        return 0
    sent, suppressed = deliver(
        session, ctx=ctx, incident=incident, event=event, channels=channels,
        key=f"{incident.id}/{event}/{now.isoformat()}", now=now,
        silences=active_silences(session, now=now) if silences is None else silences,
        note=note, actor=by,
    )
    return sent + suppressed


def acknowledge_incident(
    session: Session, *, ctx: IncidentContext, incident_id: int, by: str, now: datetime,
    note: str | None = None,
) -> Transition:
    """open -> acknowledged: someone owns it; escalation stops."""
    actor, text = actor_named(by, ctx), _note(note)
    who = actor.label
    incident = get_incident(session, incident_id)
    if incident.state != "open":
        raise LifecycleError(_not_allowed(incident, "acknowledge"))
    incident.state = ACKNOWLEDGED
    incident.acknowledged_at, incident.acknowledged_by = now, who
    incident.acknowledged_person = actor.person
    incident.updated_at = now
    stop_escalation(incident, now)
    _event(session, incident, kind="acknowledged", by=who, now=now, note=text, **_who(actor))
    sent = announce(session, ctx=ctx, incident=incident, event="acknowledged", now=now,
                     note=_by_note(actor, text, ctx), by=who)
    session.flush()
    return Transition(incident.id, incident.state, now, who, alerts=sent)


def resolve_incident(
    session: Session, *, ctx: IncidentContext, incident_id: int, by: str, note: str,
    now: datetime,
) -> Transition:
    """open/acknowledged -> resolved, with the resolution note."""
    actor, text = actor_named(by, ctx), _note(note, required=True)
    who = actor.label
    incident = get_incident(session, incident_id)
    if incident.state not in ACTIVE:
        raise LifecycleError(_not_allowed(incident, "resolve"))
    incident.state = RESOLVED
    incident.resolved_at, incident.resolved_by, incident.resolution_note = now, who, text
    incident.updated_at = now
    stop_escalation(incident, now)
    _event(session, incident, kind="resolved", by=who, now=now, note=text, **_who(actor))
    sent = announce(session, ctx=ctx, incident=incident, event="resolved", now=now,
                     note=_by_note(actor, text, ctx), by=who)
    session.flush()
    return Transition(incident.id, incident.state, now, who, alerts=sent)


def record_response(
    session: Session, *, ctx: IncidentContext, incident_id: int, by: str, note: str,
    now: datetime, script: str | None = None,
) -> Transition:
    """A public response (statement, reply, post) went out, from the approved ``script`` when
    given: the first one is measured against the playbook's time to first response; the state
    and escalation do not change."""
    actor, text = actor_named(by, ctx), _note(note, required=True)
    who = actor.label
    incident = get_incident(session, incident_id)
    if incident.state == FALSE_POSITIVE:
        raise LifecycleError(_not_allowed(incident, "record a response for"))
    used = _usable_script(ctx, script, now=now) if script is not None else None
    first = incident.responded_at is None
    if first:
        incident.responded_at, incident.responded_by = now, who
    incident.updated_at = now
    _event(session, incident, kind="responded", by=who, now=now, note=text,
           first=True if first else None, script=used.id if used else None,
           script_sha256=text_sha256(used.text) if used else None, **_who(actor))
    sent = announce(session, ctx=ctx, incident=incident, event="responded", now=now,
                     note=_by_note(actor, text, ctx), by=who)
    session.flush()
    return Transition(incident.id, incident.state, now, who, alerts=sent)


def _usable_script(ctx: IncidentContext, script_id: str, *, now: datetime) -> ResponseScript:
    script = next((s for s in ctx.scripts if s.id == script_id), None)
    if script is None:
        hint = one_of(script_id, [s.id for s in ctx.scripts])
        raise LifecycleError(f"--script: no script {script_id!r}{hint}")
    status = approval_status(script=script, now=now)
    if not status.approved:
        raise LifecycleError(f"--script: {script_id} may not be used: {status.reason}")
    return script


def mark_false_positive(
    session: Session, *, ctx: IncidentContext, incident_id: int, by: str, now: datetime,
    note: str | None = None,
) -> Transition:
    """Any state -> false_positive; every mention becomes a correction label."""
    actor, text = actor_named(by, ctx), _note(note)
    who = actor.label
    incident = get_incident(session, incident_id)
    if incident.state == FALSE_POSITIVE:
        raise LifecycleError(_not_allowed(incident, "mark as false positive"))
    assert who is not None
    labels = _store_labels(session, incident=incident, by=who, now=now)
    incident.state = FALSE_POSITIVE
    incident.resolved_at, incident.resolved_by = now, who
    incident.resolution_note = text or "false positive"
    incident.updated_at = now
    stop_escalation(incident, now)
    _event(session, incident, kind="false_positive", by=who, now=now, note=text, labels=labels,
           **_who(actor))
    sent = announce(session, ctx=ctx, incident=incident, event="false_positive", now=now,
                     note=_by_note(actor, text, ctx), by=who)
    session.flush()
    return Transition(incident.id, incident.state, now, who, alerts=sent, labels=labels)


def _store_labels(session: Session, *, incident: Incident, by: str, now: datetime) -> int:
    rows = session.execute(
        select(Mention.id, Mention.text, Mention.lang)
        .join(IncidentMention, IncidentMention.mention_id == Mention.id)
        .where(IncidentMention.incident_id == incident.id)
        .order_by(Mention.id)
    ).all()
    value = (incident.category or "volume")[:64]
    labels = [
        {
            "mention_id": mention_id,
            "incident_id": incident.id,
            "kind": "false_positive",
            "value": value,
            "text": (text or "")[:LABEL_TEXT_CHARS],
            "lang": lang,
            "created_by": by,
            "created_at": now,
        }
        for mention_id, text, lang in rows
    ]
    if labels:
        session.execute(insert(Label), labels)
    return len(labels)


def reopen_incident(
    session: Session, *, ctx: IncidentContext, incident: Incident, now: datetime,
    by: str | None, note: str | None, silences: Sequence[Silence] | None = None,
) -> Transition:
    """resolved/false_positive -> open: a new escalation from the first step."""
    if incident.state not in CLOSED:
        raise LifecycleError(_not_allowed(incident, "reopen"))
    previous = incident.state
    incident.state = "open"
    incident.acknowledged_at = incident.acknowledged_by = incident.acknowledged_person = None
    incident.resolved_at = incident.resolved_by = incident.resolution_note = None
    incident.updated_at = now
    incident.escalation = None
    _event(session, incident, kind="reopened", by=by, now=now, note=note, previous=previous)
    sent, suppressed = start_incident_escalation(
        session, ctx=ctx, incident=incident, now=now,
        silences=active_silences(session, now=now) if silences is None else silences,
        first_event="reopened",
    )
    return Transition(incident.id, incident.state, now, by, alerts=sent + suppressed)


def reopen_by_id(
    session: Session, *, ctx: IncidentContext, incident_id: int, by: str, now: datetime,
    note: str | None = None,
) -> Transition:
    """Reopen a closed incident by hand."""
    actor, text = actor_named(by, ctx), _note(note)
    who = actor.label
    result = reopen_incident(
        session, ctx=ctx, incident=get_incident(session, incident_id), now=now, by=who,
        note=text,
    )
    session.flush()
    return result


def escalate_now(
    session: Session, *, ctx: IncidentContext, incident_id: int, by: str, now: datetime,
) -> Transition:
    """Skip the current wait: the next escalation step is sent now (the Slack button)."""
    actor = actor_named(by, ctx)
    who = actor.label
    incident = get_incident(session, incident_id)
    state = escalation_state(incident)
    if incident.state != "open":
        raise LifecycleError(_not_allowed(incident, "escalate"))
    if state is None or state.done:
        raise LifecycleError(f"cannot escalate incident #{incident.id}: no escalation is "
                             f"running (it {'has finished' if state else 'was never started'})")
    incident.escalation = dataclasses.replace(state, next_due_at=now).to_dict()
    _event(session, incident, kind="escalation_requested", by=who, now=now, **_who(actor))
    sent, suppressed = advance_escalation(
        session, ctx=ctx, incident=incident, now=now, silences=active_silences(session, now=now)
    )
    session.flush()
    return Transition(incident.id, incident.state, now, who, alerts=sent + suppressed)


def actor_named(by: str | None, ctx: IncidentContext) -> Actor:
    """The person ``by`` names (when people are configured), else the name as given."""
    name = check_name(by)
    assert name is not None
    try:
        return identify(name, ctx.roster)
    except UnknownPerson as exc:
        raise LifecycleError(str(exc)) from None


def _who(actor: Actor) -> dict[str, object]:
    return {"person": actor.person, "verified": actor.verified}


def _by_note(actor: Actor, note: str | None, ctx: IncidentContext) -> str:
    who = shown(actor.label, actor.person, ctx.roster)
    return f"by {who}" + (f": {note}" if note else "")


def _not_allowed(incident: Incident, action: str) -> str:
    detail = ""
    if incident.state == ACKNOWLEDGED:
        detail = f" by {incident.acknowledged_by}"
    elif incident.state in CLOSED:
        detail = f" by {incident.resolved_by}"
    return f"cannot {action} incident #{incident.id}: it is {incident.state}{detail}"
