"""/api/v1/sources: every source (configured, or seen in the database such as inbox files)
with its fetch state and health, judged as ``/healthz`` judges it
(``monitor.service.health.source_health``); errors and locations are redacted."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from monitor.db.models import Source
from monitor.service.health import source_health
from monitor.service.jobs import effective_interval
from monitor.service.logging import Redactor, secrets_from_settings
from monitor.web.api.schemas import ERRORS, Paged
from monitor.web.auth import require, web_context
from monitor.web.paging import Window, window

router = APIRouter(prefix="/sources", tags=["sources"], responses=ERRORS,
                   dependencies=[require("viewer")])


class SourceOut(BaseModel):
    """One source, its fetch state and its health."""

    id: str
    kind: str | None = Field(description="Collector kind (rss, export, inbox file, ...).")
    location: str | None = Field(description="Where it is read from (secrets masked).")
    configured: bool = Field(description="Listed under `sources` in the configuration.")
    enabled: bool = Field(description="Collected by the service (configured and enabled).")
    tier: int | None = Field(description="Source tier (1 major .. 3 ordinary).")
    interval_seconds: float | None = Field(description="Poll interval (null: not scheduled).")
    last_polled_at: datetime | None
    last_success_at: datetime | None
    age_seconds: float | None = Field(description="Seconds since the last success.")
    consecutive_failures: int
    last_error: str | None = Field(description="Latest error while it keeps failing (masked).")
    last_error_at: datetime | None
    stale: bool = Field(description="No success for 3 poll intervals (as /healthz says).")


@router.get("", response_model=Paged[SourceOut], summary="List sources and their health")
def list_(request: Request, span: Window = Depends(window)) -> Paged[SourceOut]:
    """Configured sources in configuration order, then the others by id."""
    web = web_context(request)
    settings = web.settings
    redact = Redactor(secrets_from_settings(settings))
    now = web.clock()
    with web.reading() as session:
        rows = {r.id: r for r in session.scalars(select(Source))}
    configured = {s.id: s for s in settings.sources}
    ids = [*configured, *sorted(set(rows) - set(configured))]
    items = []
    for source_id in ids[span.offset:span.offset + span.limit]:
        row, conf = rows.get(source_id), configured.get(source_id)
        interval = (effective_interval(conf, settings.service)
                    if conf is not None and conf.enabled else None)
        health = source_health(
            last_success_at=row.last_success_at if row else None,
            consecutive_failures=row.consecutive_failures if row else 0,
            last_error=row.last_error if row else None, interval=interval, now=now,
            redact=redact)
        location = row.location if row else None
        items.append(SourceOut(
            id=source_id,
            kind=conf.kind if conf else row.kind if row else None,
            location=redact(location) if location else None,
            configured=conf is not None,
            enabled=conf is not None and conf.enabled,
            tier=conf.tier if conf else None,
            last_polled_at=row.last_polled_at if row else None,
            last_error_at=row.last_error_at if row and health["last_error"] else None,
            **health,
        ))
    return Paged[SourceOut].of(request, items=items, total=len(ids), span=span)
