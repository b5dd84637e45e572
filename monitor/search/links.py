"""Which incident each mention is evidence of (for links from search results)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db.models import IncidentMention


def incidents_of(session: Session, *, mention_ids: Collection[int]) -> dict[int, int]:
    """mention id -> incident id, for the mentions that belong to one."""
    if not mention_ids:
        return {}
    rows = session.execute(select(IncidentMention.mention_id, IncidentMention.incident_id)
                           .where(IncidentMention.mention_id.in_(list(mention_ids))))
    return {mention: incident for mention, incident in rows}
