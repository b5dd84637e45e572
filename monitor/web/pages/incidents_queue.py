"""The live incident queue: ``GET /incidents`` and its fragment ``GET /incidents/rows``.

Active incidents by default, most severe current grade first, then latest activity, with a
count per grade, filters (state, grade, entity, category, team) kept in the pagination links,
and SLA countdowns (``<time data-deadline>``, counted down by static/app.js). The page wraps
the fragment in a ``data-live`` region, so the rows refresh when ``/events`` says incidents
changed. A page costs three queries whatever its size: the rows, one GROUP BY for the grade
counts (the total comes from them) and the rows' stories for their other entities.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import URL

from monitor.db.models import Incident, Story
from monitor.incidents.messages import playbook_for, sla_due
from monitor.incidents.states import (
    ACKNOWLEDGED,
    ACTIVE,
    FALSE_POSITIVE,
    OPEN,
    RESOLVED,
    STATES,
)
from monitor.incidents.views import count_by_grade, incident_summary, list_incidents
from monitor.web.auth import Principal, require, web_context
from monitor.web.i18n import catalogue
from monitor.web.paging import Page, Window, window
from monitor.web.templates import language, render
from playbooks import ALL_GRADES

router = APIRouter(include_in_schema=False)

PAGE_PATH: Final = "/incidents"
# the state filter's choices and the states each keeps; "all" names every state (merged
# included) so that SQLite, which keeps no statistics, still reads ix_incidents_queue alone
# rather than looking up each row of a common entity
STATE_CHOICES: Final[dict[str, tuple[str, ...]]] = {
    "active": ACTIVE,
    OPEN: (OPEN,),
    ACKNOWLEDGED: (ACKNOWLEDGED,),
    RESOLVED: (RESOLVED,),
    FALSE_POSITIVE: (FALSE_POSITIVE,),
    "all": STATES,
}
GRADES_SHOWN: Final = tuple(reversed(ALL_GRADES))  # critical first


@dataclass(frozen=True)
class QueueFilter:
    """The queue's filters as asked (empty form fields mean no filter)."""

    state: str = "active"
    grade: str | None = None
    entity: str | None = None
    category: str | None = None
    team: str | None = None


def queue_filter(
    state: str | None = None,
    grade: str | None = None,
    entity: str | None = None,
    category: str | None = None,
    team: str | None = None,
) -> QueueFilter:
    """A FastAPI dependency reading the filters; ValueError (400) for an unknown choice."""
    chosen = QueueFilter(state=state or "active", grade=grade or None, entity=entity or None,
                         category=category or None, team=team or None)
    if chosen.state not in STATE_CHOICES:
        raise ValueError(f"state: {chosen.state!r} is not one of {', '.join(STATE_CHOICES)}")
    if chosen.grade is not None and chosen.grade not in ALL_GRADES:
        raise ValueError(f"grade: {chosen.grade!r} is not one of {', '.join(ALL_GRADES)}")
    return chosen


@dataclass(frozen=True)
class QueueRow:
    """One incident as the queue shows it."""

    id: int
    title: str
    grade: str
    peak_grade: str
    state: str
    category: str | None
    entities: tuple[str, ...]  # display names, the incident's own entity first
    mentions: int
    opened_at: datetime
    last_seen_at: datetime
    acknowledge_by: datetime | None  # an open incident's acknowledgement deadline
    respond_by: datetime | None  # an active incident's first-public-response deadline
    acknowledged_by: str  # who acknowledged, as monitor.incidents.actors.shown says it
    acknowledged_at: datetime | None
    responded_at: datetime | None


@dataclass(frozen=True)
class _PageAddress:
    """Stands in for the request in pager links, so that the fragment's links open the page
    (``Page.link`` reads only ``.url``)."""

    url: URL


def _scope(request: Request, chosen: QueueFilter) -> dict[str, Any]:
    """The library filters of ``chosen``; ValueError for an unknown entity, category or team."""
    settings = web_context(request).settings
    ctx = web_context(request).app.incidents
    if chosen.entity is not None and chosen.entity not in {e.id for e in settings.entities}:
        raise ValueError(f"entity: no configured entity {chosen.entity!r}")
    if chosen.category is not None and chosen.category not in ctx.categories:
        raise ValueError(f"category: no configured risk category {chosen.category!r}")
    entities: Collection[str] | None = None
    categories: Collection[str] | None = None
    if chosen.team is not None:
        team = web_context(request).app.roster.teams.get(chosen.team)
        if team is None:
            raise ValueError(f"team: no configured team {chosen.team!r}")
        # a team owns the incidents of its entities in its categories; an empty list is all
        # (as monitor.incidents.off_hours.HoursBook.owner reads it)
        entities = team.entities or None
        categories = team.categories or None
    return {"states": STATE_CHOICES[chosen.state], "entity": chosen.entity,
            "category": chosen.category, "entities": entities, "categories": categories}


def _story_entities(session: Session, incidents: list[Incident]) -> dict[int, dict[str, Any]]:
    ids = {i.story_id for i in incidents if i.story_id is not None}
    if not ids:
        return {}
    return {sid: entities or {} for sid, entities in
            session.execute(select(Story.id, Story.entities).where(Story.id.in_(ids)))}


def _row(request: Request, incident: Incident, story_entities: dict[str, Any],
         lang: str) -> QueueRow:
    ctx = web_context(request).app.incidents
    summary = incident_summary(incident, ctx)
    due = sla_due(incident, playbook=playbook_for(incident, ctx))
    acknowledge_by, respond_by = due if due is not None else (None, None)
    others = sorted((e for e in story_entities if e != incident.entity_id),
                    key=lambda e: (-int(story_entities[e] or 0), e))
    return QueueRow(
        id=incident.id, title=incident.title, grade=incident.grade,
        peak_grade=incident.peak_grade, state=incident.state, category=incident.category,
        entities=tuple(ctx.entity_name(e, lang) for e in (incident.entity_id, *others)),
        mentions=incident.mention_count, opened_at=incident.opened_at,
        last_seen_at=incident.last_seen_at,
        acknowledge_by=acknowledge_by if incident.state == OPEN else None,
        respond_by=respond_by if incident.state in ACTIVE else None,
        acknowledged_by=summary["acknowledged_by_shown"],
        acknowledged_at=incident.acknowledged_at, responded_at=incident.responded_at,
    )


def _queue(request: Request, chosen: QueueFilter, span: Window) -> dict[str, Any]:
    """Everything the page and its fragment show."""
    scope = _scope(request, chosen)
    lang = language(request)
    with web_context(request).reading() as session:
        incidents = list_incidents(session, limit=span.limit, offset=span.offset,
                                   current_grade=chosen.grade, **scope)
        counts = count_by_grade(session, **scope)
        stories = _story_entities(session, incidents)
        rows = [_row(request, i, stories.get(i.story_id or 0, {}), lang) for i in incidents]
    total = counts.get(chosen.grade, 0) if chosen.grade else sum(counts.values())
    page_url = request.url.replace(path=PAGE_PATH)
    return {
        "rows": rows, "counts": counts, "grades": GRADES_SHOWN, "chosen": chosen,
        "page": Page.of(span, count=len(rows), total=total),
        "page_request": _PageAddress(page_url),
        "grade_link": lambda grade: str(page_url.remove_query_params("offset")
                                        .include_query_params(grade=grade or "")),
    }


def _choices(request: Request) -> dict[str, Any]:
    """The filter form's options, named in the page's language."""
    web = web_context(request)
    lang = language(request)
    ctx = web.app.incidents
    return {
        "states": tuple(STATE_CHOICES),
        "entity_choices": [(e.id, ctx.entity_name(e.id, lang)) for e in web.settings.entities],
        "category_choices": list(ctx.categories),
        "team_choices": [(t.id, t.name) for t in web.app.roster.teams.values()],
    }


def category_key(category: str | None) -> str | None:
    """The catalogue key naming ``category`` (None: show the configured id as it is)."""
    key = f"queue_category_{category or 'volume'}"
    return key if key in catalogue() else None


@router.get(PAGE_PATH)
def incident_queue(
    request: Request,
    chosen: QueueFilter = Depends(queue_filter),
    span: Window = Depends(window),
    _: Principal = require("viewer"),
) -> HTMLResponse:
    return render(request, "incidents_queue.html", category_key=category_key,
                  **_choices(request), **_queue(request, chosen, span))


@router.get(f"{PAGE_PATH}/rows")
def incident_queue_rows(
    request: Request,
    chosen: QueueFilter = Depends(queue_filter),
    span: Window = Depends(window),
    _: Principal = require("viewer"),
) -> HTMLResponse:
    return render(request, "incidents_queue_rows.html", category_key=category_key,
                  **_queue(request, chosen, span))
