"""An incident's playbook checklist: which items are done, by whom and when.

An item is keyed by its place and the SHA-256 of its text (``item_key``): editing or
reordering the playbook gives the changed items new keys, so a tick never lands on, or shows
against, another item. Ticking and unticking each add a ``checklist`` event to the incident's
timeline (its ``note`` says what, so every timeline view shows it) and need the key of an
item the playbook lists now. A merged incident's checklist is closed: it lives on in the
incident it was merged into.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from alerts.sanitize import one_line
from monitor.db.models import ChecklistTick, Incident, IncidentEvent
from monitor.incidents.context import IncidentContext
from monitor.incidents.lifecycle import (
    IncidentNotFound,
    LifecycleError,
    actor_named,
    get_incident,
)
from monitor.incidents.messages import checklist_lines, playbook_for
from monitor.incidents.states import MERGED

EVENT = "checklist"


@dataclass(frozen=True)
class ChecklistItem:
    """One item of the incident's checklist as the playbook gives it now, and its tick."""

    number: int  # 1-based, as shown
    key: str
    text: str
    done_by: str | None = None
    done_at: datetime | None = None

    @property
    def done(self) -> bool:
        """True when ticked."""
        return self.done_at is not None


def item_key(*, index: int, text: str) -> str:
    """``INDEX-SHA256`` of the item at 0-based ``index`` with ``text``."""
    return f"{index}-{hashlib.sha256(text.encode('utf-8')).hexdigest()}"


def incident_checklist(session: Session, *, ctx: IncidentContext,
                       incident_id: int) -> list[ChecklistItem]:
    """The checklist of the incident's playbook with each item's tick (none: no playbook)."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise IncidentNotFound(f"no incident #{incident_id}")
    return _items(session, incident, ctx)


def tick_item(session: Session, *, ctx: IncidentContext, incident_id: int, key: str, by: str,
              now: datetime) -> ChecklistItem:
    """Mark the item ``key`` done by ``by`` (LifecycleError when it already is)."""
    return _set(session, ctx=ctx, incident_id=incident_id, key=key, by=by, now=now, done=True)


def untick_item(session: Session, *, ctx: IncidentContext, incident_id: int, key: str, by: str,
                now: datetime) -> ChecklistItem:
    """Mark the item ``key`` not done (LifecycleError when it is not ticked)."""
    return _set(session, ctx=ctx, incident_id=incident_id, key=key, by=by, now=now, done=False)


def _set(session: Session, *, ctx: IncidentContext, incident_id: int, key: str, by: str,
         now: datetime, done: bool) -> ChecklistItem:
    actor = actor_named(by, ctx)
    incident = get_incident(session, incident_id)
    if incident.state == MERGED:
        raise LifecycleError(f"incident #{incident.id} was merged into #{incident.merged_into}: "
                             "use that incident's checklist")
    items = _items(session, incident, ctx)
    item = next((i for i in items if i.key == key), None)
    if item is None:
        raise LifecycleError(
            f"incident #{incident.id} has no such checklist item (the playbook may have "
            "changed): reload the checklist" if items
            else f"incident #{incident.id} has no playbook checklist")
    if item.done == done:
        state = f"already done by {item.done_by}" if done else "not done"
        raise LifecycleError(f"checklist item {item.number} of incident #{incident.id} is {state}")
    if done:
        session.add(ChecklistTick(incident_id=incident.id, item_key=key, item_text=item.text,
                                  done_by=actor.label, done_at=now))
    else:
        session.execute(delete(ChecklistTick).where(ChecklistTick.incident_id == incident.id,
                                                    ChecklistTick.item_key == key))
    verb = "ticked" if done else "unticked"
    session.add(IncidentEvent(
        incident_id=incident.id, at=now, kind=EVENT, actor=actor.label, grade=incident.grade,
        detail={"item": item.number, "key": key, "done": done, "person": actor.person,
                "verified": actor.verified,
                "note": f"{verb} item {item.number}: {one_line(item.text, 200)}"},
    ))
    session.flush()
    return ChecklistItem(item.number, key, item.text, actor.label if done else None,
                         now if done else None)


def _items(session: Session, incident: Incident, ctx: IncidentContext) -> list[ChecklistItem]:
    lines = checklist_lines(playbook_for(incident, ctx))
    ticks = {t.item_key: t for t in session.scalars(
        select(ChecklistTick).where(ChecklistTick.incident_id == incident.id))}
    items = []
    for index, text in enumerate(lines):
        key = item_key(index=index, text=text)
        tick = ticks.get(key)
        items.append(ChecklistItem(index + 1, key, text, tick.done_by if tick else None,
                                   tick.done_at if tick else None))
    return items
