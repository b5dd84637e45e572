"""The audit log: every action through the console, the API or the user commands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.db.models import AuditEntry

Via = Literal["web", "api", "cli"]


@dataclass(frozen=True)
class AuditPage:
    """One page of the log, newest first, and how many entries match in all."""

    entries: list[AuditEntry]
    total: int


def record(
    session: Session, *, actor: str, action: str, now: datetime, via: Via,
    target: str | None = None, address: str | None = None, detail: dict[str, Any] | None = None,
) -> None:
    """Write one entry (in the caller's transaction, so it commits with the action)."""
    session.add(AuditEntry(at=now, actor=actor[:128], action=action[:64],
                           target=None if target is None else target[:128],
                           detail=detail or {}, address=(address or "")[:64] or None, via=via))


def audit_page(
    session: Session, *, limit: int = 50, offset: int = 0, actor: str | None = None,
    action: str | None = None,
) -> AuditPage:
    """Entries, newest first, optionally of one actor and/or action."""
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset))
    return AuditPage(entries=list(rows), total=total)
