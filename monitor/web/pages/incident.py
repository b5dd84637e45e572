"""The incident page, where responders act: ``/incidents/{id}`` and its forms.

Everything shown comes from the incidents library as ``crisiswatch incident show`` gives it
(``incident_detail``, ``describe_event``, the report's SLA clocks, the playbooks' approval
status); every button posts to one route that calls the matching ``monitor.web.actions``
function (audited there) or the checklist library, then redirects back with a message. A
refusal of the library (wrong state, bad input, unknown incident to merge into) shows the page
again with its one-line reason and the status the API would give (409, 400, 404).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.sanitize import one_line
from classifiers.matrix import grade_for
from monitor.db.models import Incident, IncidentEvent, IncidentMention, Mention
from monitor.incidents.checklist import incident_checklist, tick_item, untick_item
from monitor.incidents.context import IncidentContext
from monitor.incidents.lifecycle import IncidentNotFound, LifecycleError
from monitor.incidents.messages import playbook_for, script_values
from monitor.incidents.report import ack_clock, sla_clock
from monitor.incidents.states import ACTIVE, CLOSED, MERGED, OPEN, RESOLVED
from monitor.incidents.views import describe_event, incident_detail
from monitor.users.audit import record
from monitor.web import actions
from monitor.web.auth import Principal, require, web_context
from monitor.web.context import WebContext
from monitor.web.i18n import translate
from monitor.web.paging import Page, Window, window
from monitor.web.templates import language, redirect, render
from playbooks import GENERAL_SCENARIO, Playbook, approval_status, fill_script

router = APIRouter(include_in_schema=False)

SAFE_SCHEMES = ("http://", "https://")


@router.get("/incidents/{incident_id:int}")
def incident_page(request: Request, incident_id: int, span: Window = Depends(window),
                  _: Principal = require("viewer")) -> HTMLResponse:
    return _page(request, incident_id, span)


@router.get("/incidents/{incident_id:int}/timeline")
def timeline_fragment(request: Request, incident_id: int,
                      _: Principal = require("viewer")) -> HTMLResponse:
    """The timeline alone, which the page's live region fetches when incidents change."""
    web = web_context(request)
    with web.reading() as session:
        _incident(session, incident_id)
        detail = incident_detail(session, incident_id=incident_id, ctx=web.app.incidents,
                                 now=web.clock())
    return render(request, "incident_timeline.html", timeline=_timeline(detail))


@router.post("/incidents/{incident_id:int}/ack")
def acknowledge(request: Request, incident_id: int, note: str = Form(""),
                who: Principal = require("responder")) -> Response:
    return _act(request, incident_id, "incident_done_ack", lambda web: actions.acknowledge(
        web, who=who, incident_id=incident_id, note=note or None).alerts)


@router.post("/incidents/{incident_id:int}/escalate")
def escalate(request: Request, incident_id: int,
             who: Principal = require("responder")) -> Response:
    return _act(request, incident_id, "incident_done_escalate", lambda web: actions.escalate(
        web, who=who, incident_id=incident_id).alerts)


@router.post("/incidents/{incident_id:int}/respond")
def respond(request: Request, incident_id: int, note: str = Form(""), script: str = Form(""),
            who: Principal = require("responder")) -> Response:
    return _act(request, incident_id, "incident_done_respond", lambda web: actions.respond(
        web, who=who, incident_id=incident_id, note=note, script=script or None).alerts)


@router.post("/incidents/{incident_id:int}/resolve")
def resolve(request: Request, incident_id: int, note: str = Form(""),
            who: Principal = require("responder")) -> Response:
    return _act(request, incident_id, "incident_done_resolve", lambda web: actions.resolve(
        web, who=who, incident_id=incident_id, note=note).alerts)


@router.post("/incidents/{incident_id:int}/false-positive")
def false_positive(request: Request, incident_id: int, note: str = Form(""),
                   who: Principal = require("responder")) -> Response:
    return _act(request, incident_id, "incident_done_false_positive",
                lambda web: actions.false_positive(web, who=who, incident_id=incident_id,
                                                   note=note or None).alerts)


@router.post("/incidents/{incident_id:int}/reopen")
def reopen(request: Request, incident_id: int, note: str = Form(""),
           who: Principal = require("responder")) -> Response:
    return _act(request, incident_id, "incident_done_reopen", lambda web: actions.reopen(
        web, who=who, incident_id=incident_id, note=note or None).alerts)


@router.post("/incidents/{incident_id:int}/merge")
def merge(request: Request, incident_id: int, into: str = Form(""),
          who: Principal = require("responder")) -> Response:
    target = into.strip().lstrip("#")
    if not target.isdigit():
        return _refused(request, incident_id, 400,
                        translate("incident_merge_bad_id", language(request)))
    return _act(request, incident_id, "incident_done_merge", lambda web: actions.merge(
        web, who=who, into=int(target), other=incident_id).alerts, go_to=int(target))


@router.post("/incidents/{incident_id:int}/checklist")
def checklist(request: Request, incident_id: int, key: str = Form(""), done: str = Form("1"),
              who: Principal = require("responder")) -> Response:
    ticking = done == "1"

    def change(web: WebContext) -> int:
        with web.transaction() as session:
            mark = tick_item if ticking else untick_item
            item = mark(session, ctx=web.app.incidents, incident_id=incident_id, key=key,
                        by=who.actor, now=web.clock())
            record(session, actor=who.user, action="incident.checklist",
                   target=f"incident #{incident_id}", now=web.clock(), via=who.via,
                   address=who.address, detail={"item": item.number, "done": ticking})
        return 0

    return _act(request, incident_id,
                "incident_done_tick" if ticking else "incident_done_untick", change)


def _act(request: Request, incident_id: int, done: str, action: Callable[[WebContext], int],
         *, go_to: int | None = None) -> Response:
    """Run ``action`` (its result: alerts queued) and go back, or show why it was refused."""
    web = web_context(request)
    try:
        alerts = action(web)
    except IncidentNotFound as exc:
        return _refused(request, incident_id, 404, _line(exc))
    except LifecycleError as exc:
        return _refused(request, incident_id, 409, _line(exc))
    except ValueError as exc:
        return _refused(request, incident_id, 400, _line(exc))
    lang = language(request)
    message = translate(done, lang, id=incident_id, into=go_to)
    if alerts:
        message += " " + translate("incident_alerts_queued", lang, count=alerts)
    return redirect(request, f"/incidents/{go_to or incident_id}", flash=message)


def _refused(request: Request, incident_id: int, status: int, message: str) -> HTMLResponse:
    """The page with the refusal's one line (a missing incident itself is the 404 page)."""
    return _page(request, incident_id, Window(limit=50, offset=0), error=message,
                 status_code=status)


def _line(exc: BaseException) -> str:
    return one_line(str(exc.args[0]) if len(exc.args) == 1 else str(exc), 300)


def _incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise IncidentNotFound(f"no incident #{incident_id}")
    return incident


def _page(request: Request, incident_id: int, span: Window, *, error: str | None = None,
          status_code: int = 200) -> HTMLResponse:
    web = web_context(request)
    ctx = web.app.incidents
    now = web.clock()
    with web.reading() as session:
        incident = _incident(session, incident_id)
        detail = incident_detail(session, incident_id=incident_id, ctx=ctx, now=now)
        playbook = playbook_for(incident, ctx)
        mentions, total = _mentions(session, incident_id, span)
        values: dict[str, Any] = {
            "i": detail,
            "times": {k: datetime.fromisoformat(detail[k]) if detail[k] else None
                      for k in ("opened_at", "acknowledged_at", "responded_at", "resolved_at")},
            "timeline": _timeline(detail),
            "deadlines": _deadlines(session, incident, ctx),
            "matrix": _matrix(ctx, incident),
            "checklist": incident_checklist(session, ctx=ctx, incident_id=incident_id),
            "scripts": _scripts(incident, ctx, playbook, now),
            "mentions": [(m, _safe_url(m.url)) for m in mentions],
            "page": Page.of(span, count=len(mentions), total=total),
            "can": _allowed(incident.state),
        }
    return render(request, "incident.html", error=error, status_code=status_code, **values)


def _allowed(state: str) -> dict[str, bool]:
    """Which buttons the state offers (the library still decides)."""
    return {
        "ack": state == OPEN, "escalate": state == OPEN,
        "respond": state in (*ACTIVE, RESOLVED), "resolve": state in ACTIVE,
        "false_positive": state in (*ACTIVE, RESOLVED), "reopen": state in CLOSED,
        "merge": state != MERGED, "checklist": state != MERGED,
    }


def _timeline(detail: dict[str, Any]) -> list[tuple[datetime, str, str]]:
    return [(datetime.fromisoformat(e["at"]), e["kind"], describe_event(e))
            for e in detail["timeline"]]


def _deadlines(session: Session, incident: Incident,
               ctx: IncidentContext) -> list[tuple[str, datetime]]:
    """The clocks still running: acknowledgement and first response (the report's SLA
    clocks, which know about held and reopened incidents), and the next escalation step."""
    if incident.state not in ACTIVE:
        return []
    events = list(session.scalars(select(IncidentEvent).where(
        IncidentEvent.incident_id == incident.id).order_by(IncidentEvent.at, IncidentEvent.id)))
    out: list[tuple[str, datetime]] = []
    if incident.acknowledged_at is None:
        start, playbook = ack_clock(incident, events, ctx)
        if playbook is not None:
            out.append(("incident_deadline_ack", start + playbook.sla.time_to_ack))
    if incident.responded_at is None:
        start, playbook = sla_clock(incident, events, ctx, until=None)
        if playbook is not None:
            out.append(("incident_deadline_response",
                        start + playbook.sla.time_to_first_response))
    if incident.next_due_at is not None:
        out.append(("incident_deadline_escalation", incident.next_due_at))
    return out


def _matrix(ctx: IncidentContext, incident: Incident) -> list[list[tuple[int, int, str]]]:
    """Rows of (likelihood, impact, grade), likelihood 5 at the top as risk matrices are
    drawn."""
    return [[(lik, imp, grade_for(lik, imp, ctx.matrix)) for imp in range(1, 6)]
            for lik in range(5, 0, -1)]


def _scripts(incident: Incident, ctx: IncidentContext, playbook: Playbook | None,
             now: datetime) -> list[dict[str, Any]]:
    """The playbook's scripts for the incident's scenario, each usable (filled in) or not and
    why, as ``crisiswatch scripts list`` judges them."""
    if playbook is None:
        return []
    scenario = incident.category or GENERAL_SCENARIO
    by_id = {s.id: s for s in ctx.scripts}
    out = []
    for script_id in dict.fromkeys(playbook.scripts):
        script = by_id.get(script_id)
        if script is None or script.scenario not in (scenario, GENERAL_SCENARIO):
            continue
        status = approval_status(script=script, now=now)
        text = (fill_script(script=script, values=script_values(incident, ctx, now, script.lang))
                if status.approved else script.text)
        out.append({"id": script.id, "lang": script.lang, "title": script.title,
                    "usable": status.approved, "reason": status.reason, "text": text})
    return out


def _mentions(session: Session, incident_id: int, span: Window) -> tuple[list[Mention], int]:
    """One page of the incident's mentions, newest first, and how many it has."""
    ids = select(IncidentMention.mention_id).where(IncidentMention.incident_id == incident_id)
    total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    rows = session.scalars(
        select(Mention).where(Mention.id.in_(ids))
        .order_by(Mention.published_at.desc(), Mention.id.desc())
        .limit(span.limit).offset(span.offset))
    return list(rows), total


def _safe_url(url: str | None) -> str | None:
    """Only web links become links: a ``javascript:`` URL in a feed must never run."""
    return url if url and url.lower().startswith(SAFE_SCHEMES) else None
