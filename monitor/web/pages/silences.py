"""Silences: those in force and the recently ended, a form adding one with the CLI's scope and
duration (``crisiswatch silence add``), and an Expire button. Responders only change them;
each change is audited (``silence.add``, ``silence.expire``)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from monitor.incidents.silences import (
    add_silence,
    expire_silence,
    list_silences,
    scope_problem,
    silence_sources,
)
from monitor.users.audit import record
from monitor.web.auth import Principal, require, web_context
from monitor.web.i18n import translate
from monitor.web.pages.forms import optional, when_value
from monitor.web.templates import language, redirect, render
from playbooks import SilenceError

router = APIRouter(include_in_schema=False)

RECENT = timedelta(days=7)


@router.get("/silences")
def silences(request: Request, _: Principal = require("viewer")) -> HTMLResponse:
    web = web_context(request)
    now = web.clock()
    with web.reading() as session:
        rows = list_silences(session, now=now, include_expired=True)
        sources = silence_sources(session, settings=web.settings)
    active = [r for r in rows if r.until > now]
    recent = sorted((r for r in rows if now - RECENT < r.until <= now),
                    key=lambda r: r.until, reverse=True)
    return render(request, "silences.html", active=active, recent=recent,
                  entities=web.settings.entities, categories=web.app.incidents.categories,
                  sources=sources)


@router.post("/silences")
def add(
    request: Request,
    entity: str = Form(""),
    category: str = Form(""),
    source: str = Form(""),
    until: str = Form(""),
    reason: str = Form(""),
    who: Principal = require("responder"),
) -> Response:
    web = web_context(request)
    lang = language(request)
    ctx = web.app.incidents
    now = web.clock()
    scope = {"entity": optional(entity), "category": optional(category),
             "source": optional(source)}
    try:
        with web.transaction() as session:
            problem = scope_problem(**scope, entities=list(ctx.entity_names),
                                    categories=ctx.categories,
                                    sources=silence_sources(session, settings=web.settings))
            if problem is not None:
                raise ValueError(problem)
            row = add_silence(session, **scope, reason=reason, by=who.actor, now=now,
                              until=when_value(web, until, option="until", now=now, ahead=True))
            record(session, actor=who.user, action="silence.add", target=f"silence #{row.id}",
                   now=now, via=who.via, address=who.address,
                   detail={**{k: v for k, v in scope.items() if v}, "until": row.until.isoformat(),
                           "reason": row.reason})
    except (SilenceError, ValueError) as exc:
        return redirect(request, "/silences", flash=translate("silences_refused", lang, why=exc))
    return redirect(request, "/silences", flash=translate("silences_added", lang, id=row.id))


@router.post("/silences/{silence_id:int}/expire")
def expire(request: Request, silence_id: int, who: Principal = require("responder")) -> Response:
    web = web_context(request)
    now = web.clock()
    with web.transaction() as session:
        expire_silence(session, silence_id=silence_id, now=now)
        record(session, actor=who.user, action="silence.expire", target=f"silence #{silence_id}",
               now=now, via=who.via, address=who.address)
    return redirect(request, "/silences",
                    flash=translate("silences_expired", language(request), id=silence_id))
