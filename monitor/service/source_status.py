"""Every configured source with its fetch state and health, the inbox, and the quarantine.

What the console's sources page (and any other reader) shows: configuration (kind, tier,
effective interval, enabled) beside the stored fetch state, with health judged by
``monitor.service.health.source_health`` exactly as ``/healthz`` judges it. Errors are
redacted the same way the logs are.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.schema import Settings
from monitor.collectors.inbox import ready_files
from monitor.db.models import QuarantinedRow, Source
from monitor.service.health import source_health
from monitor.service.jobs import effective_interval
from monitor.service.logging import Redactor, secrets_from_settings


@dataclass(frozen=True)
class SourceStatus:
    """One source: its configuration (None for inbox files) and its health."""

    id: str
    kind: str
    tier: int | None
    interval: timedelta | None
    enabled: bool
    last_polled_at: datetime | None
    health: dict[str, Any]


@dataclass(frozen=True)
class Quarantine:
    """How many rows were rejected at ingest, and the latest few."""

    total: int
    latest: list[QuarantinedRow]


def source_statuses(session: Session, *, settings: Settings, now: datetime) -> list[SourceStatus]:
    """The configured sources in configuration order (health as /healthz reports it)."""
    redact = Redactor(secrets_from_settings(settings))
    stored = {s.id: s for s in session.scalars(select(Source))}
    out = []
    for source in settings.sources:
        interval = effective_interval(source, settings.service) if source.enabled else None
        out.append(_status(source.id, source.kind, source.tier, interval, source.enabled,
                           stored.get(source.id), now=now, redact=redact))
    return out


def inbox_statuses(session: Session, *, settings: Settings, now: datetime) -> list[SourceStatus]:
    """The sources the inbox made (``<inbox.source_id>/...``), by id; [] without an inbox."""
    inbox = settings.inbox
    if inbox is None:
        return []
    redact = Redactor(secrets_from_settings(settings))
    rows = session.scalars(
        select(Source).where(Source.id.startswith(f"{inbox.source_id}/", autoescape=True))
        .order_by(Source.id)
    )
    # inbox files are read once, not polled: no interval, so never stale
    return [_status(r.id, r.kind, inbox.tier, None, True, r, now=now, redact=redact)
            for r in rows]


def inbox_waiting(*, settings: Settings) -> int:
    """Files in the inbox folder not read yet (settled or not); 0 without an inbox."""
    if settings.inbox is None:
        return 0
    return len(ready_files(inbox=settings.inbox.path, now=time.time(), settle_seconds=0))


def quarantine(session: Session, *, limit: int = 5) -> Quarantine:
    """The number of quarantined rows and the ``limit`` latest."""
    total = session.scalar(select(func.count()).select_from(QuarantinedRow)) or 0
    latest = session.scalars(select(QuarantinedRow).order_by(QuarantinedRow.id.desc())
                             .limit(limit))
    return Quarantine(total=int(total), latest=list(latest))


def _status(source_id: str, kind: str, tier: int | None, interval: timedelta | None,
            enabled: bool, row: Source | None, *, now: datetime,
            redact: Redactor) -> SourceStatus:
    health = source_health(
        now=now,
        last_success_at=row.last_success_at if row else None,
        consecutive_failures=row.consecutive_failures if row else 0,
        last_error=row.last_error if row else None,
        interval=interval,
        redact=redact,
    )
    return SourceStatus(id=source_id, kind=kind, tier=tier, interval=interval, enabled=enabled,
                        last_polled_at=row.last_polled_at if row else None, health=health)
