"""What people do to incidents from the console and the API: one function per action.

Each runs the incidents library's own transition in one transaction with its audit entry, as
the caller (``Principal.actor``: the linked person, else ``web:USER``). Pages and API routes
call these and nothing else, so both record the same thing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from monitor.incidents.corrections import Correction, StoryRules, merge_incidents
from monitor.incidents.lifecycle import (
    Transition,
    acknowledge_incident,
    escalate_now,
    mark_false_positive,
    record_response,
    reopen_by_id,
    resolve_incident,
)
from monitor.users.audit import record
from monitor.web.auth import Principal
from monitor.web.context import WebContext


def acknowledge(web: WebContext, *, who: Principal, incident_id: int,
                note: str | None = None) -> Transition:
    """Acknowledge: escalation stops."""
    with web.transaction() as session:
        done = acknowledge_incident(session, ctx=web.app.incidents, incident_id=incident_id,
                                    by=who.actor, now=web.clock(), note=note)
        _audit(session, web, who, "incident.ack", incident_id, note=note)
    return done


def resolve(web: WebContext, *, who: Principal, incident_id: int, note: str) -> Transition:
    """Resolve with a note."""
    with web.transaction() as session:
        done = resolve_incident(session, ctx=web.app.incidents, incident_id=incident_id,
                                by=who.actor, note=note, now=web.clock())
        _audit(session, web, who, "incident.resolve", incident_id, note=note)
    return done


def respond(web: WebContext, *, who: Principal, incident_id: int, note: str,
            script: str | None = None) -> Transition:
    """Record a public response, from an approved script when given."""
    with web.transaction() as session:
        done = record_response(session, ctx=web.app.incidents, incident_id=incident_id,
                               by=who.actor, note=note, now=web.clock(), script=script)
        _audit(session, web, who, "incident.respond", incident_id, note=note, script=script)
    return done


def false_positive(web: WebContext, *, who: Principal, incident_id: int,
                   note: str | None = None) -> Transition:
    """Close as a false positive (its mentions become training labels)."""
    with web.transaction() as session:
        done = mark_false_positive(session, ctx=web.app.incidents, incident_id=incident_id,
                                   by=who.actor, now=web.clock(), note=note)
        _audit(session, web, who, "incident.false_positive", incident_id, note=note)
    return done


def reopen(web: WebContext, *, who: Principal, incident_id: int,
           note: str | None = None) -> Transition:
    """Reopen a closed incident: its playbook starts again."""
    with web.transaction() as session:
        done = reopen_by_id(session, ctx=web.app.incidents, incident_id=incident_id,
                            by=who.actor, now=web.clock(), note=note)
        _audit(session, web, who, "incident.reopen", incident_id, note=note)
    return done


def escalate(web: WebContext, *, who: Principal, incident_id: int) -> Transition:
    """Send the next escalation step now."""
    with web.transaction() as session:
        done = escalate_now(session, ctx=web.app.incidents, incident_id=incident_id,
                            by=who.actor, now=web.clock())
        _audit(session, web, who, "incident.escalate", incident_id)
    return done


def merge(web: WebContext, *, who: Principal, into: int, other: int) -> Correction:
    """Merge incident ``other`` into ``into`` (one story)."""
    stories = web.app.stories
    with web.transaction() as session:
        done = merge_incidents(session, ctx=web.app.incidents,
                               stories=StoryRules(params=stories.params, names=stories.names),
                               into=into, other=other, by=who.actor, now=web.clock())
        _audit(session, web, who, "incident.merge", into, merged=other)
    return done


def _audit(session: Session, web: WebContext, who: Principal, action: str, incident_id: int,
           **detail: Any) -> None:
    record(session, actor=who.user, action=action, target=f"incident #{incident_id}",
           now=web.clock(), via=who.via, address=who.address,
           detail={k: v for k, v in detail.items() if v is not None})
