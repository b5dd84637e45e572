"""Stored silences: add, list and remove (the matching itself is playbooks.is_silenced)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.schema import Settings
from monitor.db.models import Silence as SilenceRow
from monitor.db.models import Source
from playbooks import Silence, SilenceError

MAX_SCOPE = 64


class SilenceNotFound(LookupError):
    """No silence with that id."""


class SilenceExpired(Exception):
    """The silence has already ended (nothing to expire)."""


def silence_sources(session: Session, *, settings: Settings) -> list[str]:
    """Source ids a silence may name: the configured ones, the inbox's, and every stored one."""
    known = {s.id for s in settings.sources} | set(session.scalars(select(Source.id)))
    if settings.inbox is not None:
        known.add(settings.inbox.source_id)
    return sorted(known)


def scope_problem(
    *,
    entity: str | None,
    category: str | None,
    source: str | None,
    entities: Collection[str],
    categories: Collection[str],
    sources: Collection[str],
) -> str | None:
    """``entity: unknown entity 'x' (known: a, b)`` for the first name that is not among the
    known ones (``categories`` empty: any category), else None."""
    checks = (("entity", entity, entities, True), ("category", category, categories,
              bool(categories)), ("source", source, sources, True))
    for name, value, known, checked in checks:
        if value is not None and checked and value not in known:
            listed = ", ".join(known) or "none"
            return f"{name}: unknown {name} {value!r} (known: {listed})"
    return None


def add_silence(
    session: Session,
    *,
    entity: str | None,
    category: str | None,
    source: str | None,
    until: datetime,
    reason: str,
    by: str,
    now: datetime,
) -> SilenceRow:
    """Validate (via playbooks.Silence) and store a silence; SilenceError names the problem."""
    if until <= now:
        raise SilenceError("until must be in the future", key="silence.until")
    for name, value in (("entity", entity), ("category", category), ("source", source)):
        if value is not None and len(value) > MAX_SCOPE:
            raise SilenceError(f"{name} is longer than {MAX_SCOPE} characters", key="silence")
    checked = Silence(
        entity=entity, category=category, source=source, until=until,
        reason=" ".join(reason.split()), created_by=" ".join(by.split()),
    )
    row = SilenceRow(
        entity_id=checked.entity,
        category=checked.category,
        source_id=checked.source,
        until=checked.until,
        reason=checked.reason,
        created_by=checked.created_by[:128],
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def list_silences(
    session: Session, *, now: datetime, include_expired: bool = False
) -> list[SilenceRow]:
    """Silences in force at ``now`` (or all), soonest to end first."""
    stmt = select(SilenceRow).order_by(SilenceRow.until, SilenceRow.id)
    if not include_expired:
        stmt = stmt.where(SilenceRow.until > now)
    return list(session.scalars(stmt))


def remove_silence(session: Session, *, silence_id: int) -> SilenceRow:
    """Delete a silence; SilenceNotFound when there is none with that id."""
    row = session.get(SilenceRow, silence_id)
    if row is None:
        raise SilenceNotFound(f"no silence #{silence_id}")
    session.delete(row)
    session.flush()
    return row


def expire_silence(session: Session, *, silence_id: int, now: datetime) -> SilenceRow:
    """End a silence now, keeping it on record (``list_silences(include_expired=True)``);
    SilenceNotFound, or SilenceExpired when it has already ended."""
    row = session.get(SilenceRow, silence_id)
    if row is None:
        raise SilenceNotFound(f"no silence #{silence_id}")
    if row.until <= now:
        raise SilenceExpired(f"silence #{silence_id} has already ended")
    row.until = now
    session.flush()
    return row


def silence_to_dict(row: SilenceRow, *, now: datetime) -> dict[str, object]:
    return {
        "id": row.id,
        "entity": row.entity_id,
        "category": row.category,
        "source": row.source_id,
        "until": row.until.isoformat(),
        "active": row.until > now,
        "reason": row.reason,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
    }
