"""Who is on call: every schedule's answer now (monitor.oncall.views), its overrides and swaps
of the coming week (monitor.oncall.store), and a form adding an override with the same
library call as ``crisiswatch oncall override`` (audited ``oncall.override``)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from monitor.oncall.store import OncallError, add_override, list_overrides, list_swaps
from monitor.oncall.views import oncall_views
from monitor.users.audit import record
from monitor.web.auth import Principal, require, web_context
from monitor.web.i18n import translate
from monitor.web.pages.forms import optional, when_value
from monitor.web.templates import language, redirect, render

router = APIRouter(include_in_schema=False)

COMING = timedelta(days=7)


@router.get("/oncall")
def oncall(request: Request, _: Principal = require("viewer")) -> HTMLResponse:
    web = web_context(request)
    app = web.app
    now = web.clock()
    horizon = now + COMING
    schedules = []
    with web.reading() as session:
        for view in oncall_views(session=session, roster=app.roster, settings=app.settings,
                                 at=now):
            schedule_id = str(view["schedule"])
            overrides = [o for o in list_overrides(session, schedule_id=schedule_id, now=now)
                         if o.starts_at < horizon]
            swaps = [s for s in list_swaps(session, schedule_id=schedule_id, now=now)
                     if s.shift_start < horizon]
            schedules.append({"view": view, "overrides": overrides, "swaps": swaps})
    return render(request, "oncall.html", schedules=schedules, people=app.roster.people,
                  configured=bool(app.roster.schedules))


@router.post("/oncall/override")
def override(
    request: Request,
    schedule: str = Form(""),
    person: str = Form(""),
    start: str = Form(""),
    end: str = Form(""),
    reason: str = Form(""),
    who: Principal = require("responder"),
) -> Response:
    web = web_context(request)
    lang = language(request)
    if who.person is None:
        return redirect(request, "/oncall", flash=translate("oncall_no_person", lang))
    now = web.clock()
    zone = web.settings.organisation.timezone
    try:
        begin = now if optional(start) is None else when_value(
            web, start, option="from", now=now, ahead=True)
        finish = when_value(web, end, option="to", now=begin, ahead=True)
        with web.transaction() as session:
            row = add_override(session, roster=web.app.roster, schedule_id=schedule,
                               person=person, start=begin, end=finish, reason=reason,
                               by=who.person, now=now, zone=zone)
            record(session, actor=who.user, action="oncall.override",
                   target=f"override #{row.id}", now=now, via=who.via, address=who.address,
                   detail={"schedule": schedule, "person": person,
                           "from": begin.isoformat(), "to": finish.isoformat()})
    except (OncallError, ValueError) as exc:
        return redirect(request, "/oncall", flash=translate("oncall_refused", lang, why=exc))
    return redirect(request, "/oncall", flash=translate("oncall_added", lang, id=row.id))
