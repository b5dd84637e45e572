"""The audit log, for admins: who did what, when, from where, through what."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from monitor.users.audit import audit_page
from monitor.web.auth import Principal, require, web_context
from monitor.web.paging import Page, Window, window
from monitor.web.templates import render

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit(
    request: Request,
    actor: str | None = None,
    action: str | None = None,
    span: Window = Depends(window),
    _: Principal = require("admin"),
) -> HTMLResponse:
    with web_context(request).reading() as session:
        found = audit_page(session, limit=span.limit, offset=span.offset, actor=actor,
                           action=action)
    page = Page.of(span, count=len(found.entries), total=found.total)
    return render(request, "audit.html", entries=found.entries, page=page, actor=actor,
                  action=action)
