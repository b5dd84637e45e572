"""/api/v1/incidents: the queue, one incident in full, and what responders do to it.

Reads are ``monitor.incidents.views`` (the ``incident`` commands' own data); every change is
one function of ``monitor.web.actions`` (audited, as the caller) and answers the incident as it
is afterwards. Changes need the responder role; a state that forbids one is a 409.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from monitor.incidents.lifecycle import MAX_NOTE
from monitor.incidents.states import ACTIVE, CLOSED, STATES
from monitor.incidents.views import (
    count_incidents,
    incident_detail,
    incident_summary,
    list_incidents,
)
from monitor.web import actions
from monitor.web.api.schemas import ERRORS, ErrorOut, Paged
from monitor.web.auth import Principal, require, web_context
from monitor.web.context import WebContext
from monitor.web.paging import Window, window
from playbooks import ALL_GRADES

# state filters beyond the states themselves
STATE_GROUPS: dict[str, tuple[str, ...]] = {"active": ACTIVE, "closed": CLOSED}
STATE_FILTERS = (*STATES, *STATE_GROUPS)
_CHANGE: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No incident with that id."},
    409: {"model": ErrorOut, "description": "Its state does not allow this."},
}

router = APIRouter(prefix="/incidents", tags=["incidents"], responses=ERRORS,
                   dependencies=[require("viewer")])


class IncidentOut(BaseModel):
    """One incident as the queue lists it."""

    id: int
    state: str = Field(description="open, acknowledged, resolved, false_positive or merged.")
    grade: str = Field(description="Current grade on the risk matrix (none .. critical).")
    peak_grade: str = Field(description="Highest grade it has reached.")
    likelihood: int = Field(description="Matrix likelihood, 1 (rare) .. 5 (almost certain).")
    impact: int = Field(description="Matrix impact, 1 (negligible) .. 5 (severe).")
    entity: str = Field(description="Id of the watched entity.")
    entity_name: str = Field(description="The entity's display name.")
    category: str | None = Field(description="Main risk category (null: opened on volume).")
    categories: dict[str, float] = Field(description="Share of the evidence per category.")
    story_id: int | None = Field(description="The story it is (GET /stories/{id}).")
    merged_into: int | None = Field(description="The incident it was merged into, if merged.")
    title: str
    mentions: int = Field(description="Mentions of the story counted as evidence.")
    negative: int
    neutral: int
    positive: int
    reach: int = Field(description="Sum of the authors' followers.")
    first_seen_at: datetime
    last_seen_at: datetime = Field(description="Latest evidence (the queue's second order).")
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledged_person: str | None = Field(description="Configured person who acknowledged.")
    acknowledged_by_shown: str = Field(description="Who acknowledged, as people see it.")
    resolved_at: datetime | None
    resolved_by: str | None
    responded_at: datetime | None = Field(description="First public response recorded.")
    responded_by: str | None
    playbook: str | None = Field(description="Playbook escalating it (null: not escalated).")
    next_due_at: datetime | None = Field(description="When its next escalation step is due.")
    spike_ratio: float | None = Field(description="Volume against the entity's baseline.")
    recovered_at: datetime | None = Field(description="When the volume calmed down.")
    drill: bool = Field(description="Opened by a drill, not by real mentions.")


class ScriptOut(BaseModel):
    """An approved response script, filled in for this incident."""

    id: str
    lang: str
    title: str
    text: str = Field(description="The text with every known placeholder filled.")
    unfilled: list[str] = Field(description="Placeholders a person must still fill in.")


class MentionRefOut(BaseModel):
    """One of the incident's strongest mentions."""

    id: int = Field(description="Mention id (GET /mentions/{id}).")
    excerpt: str
    source: str
    url: str | None
    author: str | None
    published: datetime | None


class TimelineEntryOut(BaseModel):
    """One event of the incident's timeline."""

    at: datetime
    kind: str = Field(description="opened, evidence, grade_changed, alert, acknowledged, ...")
    actor: str | None
    grade: str | None
    detail: dict[str, Any] = Field(description="What the event recorded (varies by kind).")


class SlaDueOut(BaseModel):
    """When the playbook's SLA wants each step done (null once done)."""

    acknowledge_by: datetime | None
    first_response_by: datetime | None


class IncidentDetailOut(IncidentOut):
    """One incident in full: what ``crisiswatch incident show`` prints."""

    story: str | None = Field(description="The story in one line (sources, mentions, age).")
    related: list[int] = Field(description="Stories a responder linked to this one.")
    reasons: list[str] = Field(description="Why the matrix gives this likelihood and impact.")
    resolution_note: str | None
    escalation: dict[str, Any] | None = Field(description="The escalation's stored state.")
    sla: list[str] = Field(description="The SLA targets or when they were met, as text.")
    sla_due: SlaDueOut | None = Field(description="SLA due times (null without a playbook).")
    playbook_name: str | None = Field(description="Playbook for it (escalating or by grade).")
    checklist: list[str] = Field(description="The playbook's checklist, owner first.")
    scripts: list[ScriptOut] = Field(description="Approved scripts it may use now.")
    top_mentions: list[MentionRefOut]
    top_sources: list[dict[str, Any]] = Field(description="source, mentions, reach.")
    top_authors: list[dict[str, Any]] = Field(description="author, source, mentions, reach.")
    timeline: list[TimelineEntryOut] = Field(description="Every event, oldest first.")


class NoteIn(BaseModel):
    """An optional note kept on the timeline."""

    note: str | None = Field(None, max_length=MAX_NOTE)


class RequiredNoteIn(BaseModel):
    """A note kept on the timeline."""

    note: str = Field(min_length=1, max_length=MAX_NOTE)


class RespondIn(RequiredNoteIn):
    """A public response: what was published, and the approved script it used."""

    script: str | None = Field(None, description="Id of the approved script used.")


class MergeIn(BaseModel):
    """The incident to merge into this one (same story afterwards)."""

    other: int = Field(description="Id of the incident that is merged away.")


@router.get("", response_model=Paged[IncidentOut], summary="List incidents")
def list_(
    request: Request,
    state: str | None = Query(None, description="A state, `active` (open or acknowledged) "
                              "or `closed`.", json_schema_extra={"enum": list(STATE_FILTERS)}),
    grade: str | None = Query(None, description="At least this peak grade.",
                              json_schema_extra={"enum": list(ALL_GRADES)}),
    entity: str | None = Query(None, description="Entity id."),
    category: str | None = Query(None, description="Main risk category."),
    span: Window = Depends(window),
) -> Paged[IncidentOut]:
    """Most severe first (current grade), then latest activity."""
    if state is not None and state not in STATE_FILTERS:
        raise HTTPException(422, f"state: expected one of {', '.join(STATE_FILTERS)}")
    if grade is not None and grade not in ALL_GRADES:
        raise HTTPException(422, f"grade: expected one of {', '.join(ALL_GRADES)}")
    states = None if state is None else STATE_GROUPS.get(state, (state,))
    web = web_context(request)
    where: dict[str, Any] = {"states": states, "grade": grade, "entity": entity,
                             "category": category}
    with web.reading() as session:
        rows = list_incidents(session, limit=span.limit, offset=span.offset, **where)
        total = count_incidents(session, **where)
        items = [IncidentOut.model_validate(incident_summary(r, web.app.incidents)) for r in rows]
    return Paged[IncidentOut].of(request, items=items, total=total, span=span)


@router.get("/{incident_id}", response_model=IncidentDetailOut, summary="Get one incident",
            responses={404: _CHANGE[404]})
def get(request: Request, incident_id: int) -> IncidentDetailOut:
    """Matrix with reasons, SLA, timeline, top mentions, playbook checklist and scripts."""
    return _detail(web_context(request), incident_id)


@router.post("/{incident_id}/ack", response_model=IncidentDetailOut, responses=_CHANGE,
             summary="Acknowledge")
def ack(request: Request, incident_id: int, body: NoteIn | None = None,
        who: Principal = require("responder")) -> IncidentDetailOut:
    """Acknowledge: escalation stops."""
    web = web_context(request)
    actions.acknowledge(web, who=who, incident_id=incident_id, note=_note(body))
    return _detail(web, incident_id)


@router.post("/{incident_id}/resolve", response_model=IncidentDetailOut, responses=_CHANGE,
             summary="Resolve")
def resolve(request: Request, incident_id: int, body: RequiredNoteIn,
            who: Principal = require("responder")) -> IncidentDetailOut:
    """Resolve, saying how."""
    web = web_context(request)
    actions.resolve(web, who=who, incident_id=incident_id, note=body.note)
    return _detail(web, incident_id)


@router.post("/{incident_id}/respond", response_model=IncidentDetailOut, responses=_CHANGE,
             summary="Record a public response")
def respond(request: Request, incident_id: int, body: RespondIn,
            who: Principal = require("responder")) -> IncidentDetailOut:
    """Record a public response (the first one meets the response SLA)."""
    web = web_context(request)
    actions.respond(web, who=who, incident_id=incident_id, note=body.note, script=body.script)
    return _detail(web, incident_id)


@router.post("/{incident_id}/escalate", response_model=IncidentDetailOut, responses=_CHANGE,
             summary="Escalate now")
def escalate(request: Request, incident_id: int,
             who: Principal = require("responder")) -> IncidentDetailOut:
    """Send the playbook's next escalation step now."""
    web = web_context(request)
    actions.escalate(web, who=who, incident_id=incident_id)
    return _detail(web, incident_id)


@router.post("/{incident_id}/false-positive", response_model=IncidentDetailOut,
             responses=_CHANGE, summary="Mark false positive")
def false_positive(request: Request, incident_id: int, body: NoteIn | None = None,
                   who: Principal = require("responder")) -> IncidentDetailOut:
    """Close as a false positive (its mentions become training labels)."""
    web = web_context(request)
    actions.false_positive(web, who=who, incident_id=incident_id, note=_note(body))
    return _detail(web, incident_id)


@router.post("/{incident_id}/reopen", response_model=IncidentDetailOut, responses=_CHANGE,
             summary="Reopen")
def reopen(request: Request, incident_id: int, body: NoteIn | None = None,
           who: Principal = require("responder")) -> IncidentDetailOut:
    """Reopen a resolved or false-positive incident: its playbook starts again."""
    web = web_context(request)
    actions.reopen(web, who=who, incident_id=incident_id, note=_note(body))
    return _detail(web, incident_id)


@router.post("/{incident_id}/merge", response_model=IncidentDetailOut, responses=_CHANGE,
             summary="Merge another incident into this one")
def merge(request: Request, incident_id: int, body: MergeIn,
          who: Principal = require("responder")) -> IncidentDetailOut:
    """Merge incident ``other`` into this one; ``other`` ends in the state ``merged``."""
    web = web_context(request)
    actions.merge(web, who=who, into=incident_id, other=body.other)
    return _detail(web, incident_id)


def _note(body: NoteIn | None) -> str | None:
    return body.note if body is not None else None


def _detail(web: WebContext, incident_id: int) -> IncidentDetailOut:
    with web.reading() as session:
        data = incident_detail(session, incident_id=incident_id, ctx=web.app.incidents,
                               now=web.clock())
    return IncidentDetailOut.model_validate(data)
