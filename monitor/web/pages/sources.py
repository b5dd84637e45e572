"""Sources: each configured source's settings, fetch state and health (as /healthz judges it,
``monitor.service.source_status``), the inbox, and the quarantined rows. Read-only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from config.durations import format_duration
from monitor.service.source_status import (
    inbox_statuses,
    inbox_waiting,
    quarantine,
    source_statuses,
)
from monitor.web.auth import Principal, require, web_context
from monitor.web.templates import render

router = APIRouter(include_in_schema=False)

LATEST_QUARANTINED = 10


@router.get("/sources")
def sources(request: Request, _: Principal = require("viewer")) -> HTMLResponse:
    web = web_context(request)
    settings = web.settings
    now = web.clock()
    with web.reading() as session:
        configured = source_statuses(session, settings=settings, now=now)
        inbox = inbox_statuses(session, settings=settings, now=now)
        rejected = quarantine(session, limit=LATEST_QUARANTINED)
    return render(request, "sources.html", sources=configured, inbox=settings.inbox,
                  inbox_sources=inbox, waiting=inbox_waiting(settings=settings),
                  quarantine=rejected, inbox_interval=settings.service.inbox_interval,
                  duration=format_duration)
