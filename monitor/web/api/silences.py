"""/api/v1/silences: known noise that alerts nobody (incidents are still recorded).

A silence is what ``crisiswatch silence add`` takes: an entity, a category and/or a source (all
given must match), until a time (or for a duration), and the reason. Creating and expiring need
the responder role and are audited (``silence.add``, ``silence.expire``); expiring ends it now
and keeps it on record (``?state=all`` lists it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import AliasChoices, BaseModel, Field, model_validator

from alerts.times import read_time
from config.durations import parse_duration
from monitor.incidents.silences import (
    MAX_SCOPE,
    add_silence,
    expire_silence,
    list_silences,
    scope_problem,
    silence_sources,
    silence_to_dict,
)
from monitor.users.audit import record
from monitor.web.api.schemas import ERRORS, ErrorOut, Paged
from monitor.web.auth import Principal, require, web_context
from monitor.web.paging import Window, window

router = APIRouter(prefix="/silences", tags=["silences"], responses=ERRORS,
                   dependencies=[require("viewer")])
_ONE: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No silence with that id."},
    409: {"model": ErrorOut, "description": "It has already ended."},
}


class SilenceOut(BaseModel):
    """One silence."""

    id: int
    entity: str | None = Field(description="Entity id it matches (null: any).")
    category: str | None = Field(description="Risk category it matches (null: any).")
    source: str | None = Field(description="Source id it matches (null: any).")
    until: datetime = Field(description="When it ends.")
    active: bool = Field(description="Whether it is in force now.")
    reason: str = Field(description="Why (shown on every suppressed alert).")
    created_by: str
    created_at: datetime


class SilenceIn(BaseModel):
    """A new silence: at least one matcher, ``duration`` or ``until``, and a reason."""

    entity: str | None = Field(None, max_length=MAX_SCOPE, description="Entity id.")
    category: str | None = Field(None, max_length=MAX_SCOPE, description="Risk category.")
    source: str | None = Field(None, max_length=MAX_SCOPE, description="Source id.")
    duration: str | None = Field(None, description="How long from now: `30m`, `4h`, `2d`.",
                                 examples=["4h"])
    until: str | None = Field(None, description="Until when: ISO 8601 (organisation time zone "
                              "unless it has an offset).", examples=["2026-11-30T18:00:00+08:00"])
    reason: str = Field(min_length=1, max_length=2000,
                        validation_alias=AliasChoices("reason", "comment"),
                        description="Why (`comment` is accepted too).")

    @model_validator(mode="after")
    def _one_end(self) -> SilenceIn:
        if (self.duration is None) == (self.until is None):
            raise ValueError("give either duration or until")
        if self.entity is None and self.category is None and self.source is None:
            raise ValueError("give at least one of entity, category, source")
        return self


@router.get("", response_model=Paged[SilenceOut], summary="List silences")
def list_(
    request: Request,
    state: Literal["active", "all"] = Query("active", description="`all` includes ended ones."),
    span: Window = Depends(window),
) -> Paged[SilenceOut]:
    """Soonest to end first."""
    web = web_context(request)
    now = web.clock()
    with web.reading() as session:
        rows = list_silences(session, now=now, include_expired=state == "all")
        items = [SilenceOut.model_validate(silence_to_dict(r, now=now))
                 for r in rows[span.offset:span.offset + span.limit]]
    return Paged[SilenceOut].of(request, items=items, total=len(rows), span=span)


@router.post("", response_model=SilenceOut, status_code=201, summary="Create a silence")
def create(request: Request, body: SilenceIn,
           who: Principal = require("responder")) -> SilenceOut:
    """Alerts matching every given matcher are suppressed until it ends."""
    web = web_context(request)
    ctx = web.app.incidents
    now = web.clock()
    until = _until(body, now=now, zone=ctx.timezone)
    with web.transaction() as session:
        problem = scope_problem(entity=body.entity, category=body.category, source=body.source,
                                entities=list(ctx.entity_names), categories=ctx.categories,
                                sources=silence_sources(session, settings=web.settings))
        if problem is not None:
            raise HTTPException(422, problem)
        row = add_silence(session, entity=body.entity, category=body.category,
                          source=body.source, until=until, reason=body.reason, by=who.actor,
                          now=now)
        record(session, actor=who.user, action="silence.add", target=f"silence #{row.id}",
               now=now, via=who.via, address=who.address,
               detail={k: v for k, v in (("entity", body.entity), ("category", body.category),
                                         ("source", body.source)) if v is not None}
               | {"until": until.isoformat(), "reason": row.reason})
        return SilenceOut.model_validate(silence_to_dict(row, now=now))


@router.delete("/{silence_id}", response_model=SilenceOut, responses=_ONE,
               summary="Expire a silence")
def delete(request: Request, silence_id: int,
           who: Principal = require("responder")) -> SilenceOut:
    """End it now (it stays on record); the same as POST .../expire."""
    return _expire(request, silence_id, who)


@router.post("/{silence_id}/expire", response_model=SilenceOut, responses=_ONE,
             summary="Expire a silence (POST form)")
def expire(request: Request, silence_id: int,
           who: Principal = require("responder")) -> SilenceOut:
    """End it now (it stays on record); matching incidents alert again from their next step."""
    return _expire(request, silence_id, who)


def _expire(request: Request, silence_id: int, who: Principal) -> SilenceOut:
    web = web_context(request)
    now = web.clock()
    with web.transaction() as session:
        row = expire_silence(session, silence_id=silence_id, now=now)
        record(session, actor=who.user, action="silence.expire", target=f"silence #{row.id}",
               now=now, via=who.via, address=who.address)
        return SilenceOut.model_validate(silence_to_dict(row, now=now))


def _until(body: SilenceIn, *, now: datetime, zone: str) -> datetime:
    """The end ``duration`` or ``until`` gives, read as the CLI's ``--until`` reads it."""
    try:
        if body.duration is not None:
            return now + parse_duration(body.duration)
        return read_time(body.until or "", zone)
    except ValueError:
        field = "duration" if body.duration is not None else "until"
        raise HTTPException(422, f"{field}: expected a duration like 4h or a time like "
                            f"2026-11-30T18:00:00+08:00") from None
