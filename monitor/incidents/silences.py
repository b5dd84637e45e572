"""Stored silences: add, list and remove (the matching itself is playbooks.is_silenced)."""

from __future__ import annotations

from collections.abc import Iterable
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
    """End a silence now (kept, listed as expired); SilenceNotFound when there is none."""
    row = session.get(SilenceRow, silence_id)
    if row is None:
        raise SilenceNotFound(f"no silence #{silence_id}")
    if row.until > now:
        row.until = now
        session.flush()
    return row


def silence_sources(session: Session, *, settings: Settings) -> set[str]:
    """Source ids a silence may name: configured, stored (inbox files too) and the inbox's."""
    known = {s.id for s in settings.sources} | set(session.scalars(select(Source.id)))
    if settings.inbox is not None:
        known.add(settings.inbox.source_id)
    return known


def scope_problem(
    *,
    entity: str | None,
    category: str | None,
    source: str | None,
    entities: Iterable[str],
    categories: Iterable[str],
    sources: Iterable[str],
) -> str | None:
    """Why a silence's scope names something unknown (``--entity: unknown entity ...``), or
    None; an empty ``categories`` accepts any category."""
    known_categories = list(categories)
    for option, value, known in (("entity", entity, list(entities)),
                                 ("category", category, known_categories),
                                 ("source", source, sorted(sources))):
        if value is None or (option == "category" and not known_categories):
            continue
        if value not in known:
            return (f"--{option}: unknown {option} {value!r} "
                    f"(known: {', '.join(known) or 'none'})")
    return None


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
