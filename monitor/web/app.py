"""``create_web_app``: the console and /api/v1 as one FastAPI application.

Every route module is listed here (nothing registers itself). Authentication and CSRF are
dependencies of the whole application, so a new route is closed unless its path is in
``monitor.web.auth.PUBLIC``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from monitor.app import App
from monitor.users.login_limit import LoginLimiter
from monitor.web import errors, events
from monitor.web.api import digests as digests_api
from monitor.web.api import incidents as incidents_api
from monitor.web.api import mentions as mentions_api
from monitor.web.api import silences as silences_api
from monitor.web.api import sources as sources_api
from monitor.web.api import stories as stories_api
from monitor.web.auth import authenticate, check_csrf, web_context
from monitor.web.context import WebContext
from monitor.web.headers import SecurityHeaders
from monitor.web.pages import (
    account,
    audit,
    incident,
    incidents_queue,
    mentions,
    oncall,
    reports,
    session,
    silences,
    sources,
    stories,
    users,
)

API_PREFIX = "/api/v1"

# the console's pages, in the order of the navigation
PAGES: tuple[APIRouter, ...] = (
    session.router, account.router, audit.router, events.router, incidents_queue.router,
    incident.router, mentions.router, stories.router, oncall.router, sources.router,
    silences.router, reports.router, users.router,
)
# /api/v1 resources
API: tuple[APIRouter, ...] = (
    incidents_api.router, stories_api.router, silences_api.router, sources_api.router,
    digests_api.router, mentions_api.router,
)

_health = APIRouter(include_in_schema=False)


@_health.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    """200 when the database answers (the service's own /healthz says more)."""
    try:
        with web_context(request).reading() as db:
            db.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return JSONResponse({"status": "unhealthy", "database": str(exc)[:200]}, status_code=503)
    return JSONResponse({"status": "ok"})


def create_web_app(*, app: App, clock: Callable[[], datetime] | None = None) -> FastAPI:
    """The ASGI application over ``app``'s storage and configuration."""
    clock = clock or app.incidents.clock
    web = app.settings.web
    api = FastAPI(
        title="crisiswatch API",
        version="1",
        description="Incidents, mentions, stories, silences, sources and digests. "
        "Authenticate with `Authorization: Bearer <token>` (`crisiswatch users token`).",
        # FastAPI's own docs pages load their scripts from a CDN, and its schema route would
        # skip the login: the schema is served below, behind the login like everything else
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(authenticate), Depends(check_csrf)],
    )
    api.state.web = WebContext(
        app=app, clock=clock,
        limiter=LoginLimiter(attempts=web.login_attempts, window=web.login_window, clock=clock),
    )
    errors.install(api)
    api.include_router(_health)
    for router in PAGES:
        api.include_router(router)
    for router in API:
        api.include_router(router, prefix=API_PREFIX)

    @api.get(f"{API_PREFIX}/openapi.json", include_in_schema=False)
    def openapi() -> JSONResponse:
        return JSONResponse(api.openapi())

    api.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    api.add_middleware(SecurityHeaders)
    return api
