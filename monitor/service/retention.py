"""Retention clean-up: delete what is older than the configured number of days.

Conservative by design: evidence of an incident that is still open or acknowledged is kept
whatever its age, alerts are deleted only with their closed incident (or, for alerts without
an incident, when settled), responders' labels are kept (they are training data; their link to
a deleted mention is cleared), and volume counts younger than the spike baseline are kept.
Each batch is one transaction, so an interrupted clean-up leaves nothing half-deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import (
    Alert,
    AlertThread,
    Incident,
    IncidentEvent,
    IncidentMention,
    IngestRun,
    Label,
    Mention,
    MentionEntity,
    QuarantinedRow,
    Silence,
    VolumeCount,
    WorkItem,
)
from monitor.incidents.states import CLOSED

log = logging.getLogger(__name__)

BATCH = 1000
OPEN = ("open", "acknowledged")
SETTLED = ("sent", "dead", "folded", "suppressed")


@dataclass
class Purged:
    """Rows deleted, by table."""

    incidents: int = 0
    alerts: int = 0
    mentions: int = 0
    quarantined_rows: int = 0
    ingest_runs: int = 0
    volume_counts: int = 0
    silences: int = 0
    work_items: int = 0

    def total(self) -> int:
        """All rows deleted."""
        return sum(getattr(self, f.name) for f in fields(self))


def purge_older_than(
    sessions: sessionmaker[Session], *, cutoff: datetime, volume_cutoff: datetime,
    batch: int = BATCH,
) -> Purged:
    """Delete rows older than ``cutoff`` (volume counts: ``volume_cutoff``), batch by batch."""
    done = Purged()
    done.incidents = _loop(sessions, batch, lambda s, n: _incidents(s, cutoff, n))
    done.alerts = _loop(sessions, batch, lambda s, n: _loose_alerts(s, cutoff, n))
    done.mentions = _loop(sessions, batch, lambda s, n: _mentions(s, cutoff, n))
    done.quarantined_rows = _loop(sessions, batch, lambda s, n: _ids_delete(
        s, QuarantinedRow, select(QuarantinedRow.id).where(QuarantinedRow.created_at < cutoff), n))
    done.ingest_runs = _loop(sessions, batch, lambda s, n: _runs(s, cutoff, n))
    with sessions.begin() as session:
        epoch = int(volume_cutoff.timestamp())
        done.volume_counts = _rowcount(session.execute(
            delete(VolumeCount).where(VolumeCount.bucket + VolumeCount.span < epoch)))
        done.silences = _rowcount(session.execute(delete(Silence).where(Silence.until < cutoff)))
        done.work_items = _rowcount(session.execute(
            delete(WorkItem).where(WorkItem.status.in_(("dead", "done")),
                                   WorkItem.enqueued_at < cutoff)))
    if done.total():
        log.info("retention: deleted %s", {k: v for k, v in done.__dict__.items() if v})
    return done


def _loop(sessions: sessionmaker[Session], batch: int, step: Callable[[Session, int], int]) -> int:
    total = 0
    while True:
        with sessions.begin() as session:
            count = step(session, batch)
        total += count
        if count < batch:
            return total


def _incidents(session: Session, cutoff: datetime, batch: int) -> int:
    ids = list(session.scalars(
        select(Incident.id).where(
            Incident.state.in_(CLOSED),
            func.coalesce(Incident.resolved_at, Incident.updated_at) < cutoff,
        ).limit(batch)
    ))
    if ids:
        for table, column in ((IncidentEvent, IncidentEvent.incident_id),
                              (IncidentMention, IncidentMention.incident_id),
                              (AlertThread, AlertThread.incident_id),
                              (Alert, Alert.incident_id)):
            session.execute(delete(table).where(column.in_(ids)))
        session.execute(update(Label).where(Label.incident_id.in_(ids)).values(incident_id=None))
        session.execute(delete(Incident).where(Incident.id.in_(ids)))
    return len(ids)


def _loose_alerts(session: Session, cutoff: datetime, batch: int) -> int:
    query = select(Alert.id).where(
        Alert.incident_id.is_(None), Alert.status.in_(SETTLED), Alert.created_at < cutoff
    )
    return _ids_delete(session, Alert, query, batch)


def _mentions(session: Session, cutoff: datetime, batch: int) -> int:
    in_open_incident = exists().where(
        IncidentMention.mention_id == Mention.id,
        IncidentMention.incident_id == Incident.id,
        Incident.state.in_(OPEN),
    )
    ids = list(session.scalars(
        select(Mention.id).where(Mention.collected_at < cutoff, ~in_open_incident).limit(batch)
    ))
    if ids:
        session.execute(update(Mention).where(Mention.duplicate_of.in_(ids))
                        .values(duplicate_of=None))
        session.execute(update(Label).where(Label.mention_id.in_(ids)).values(mention_id=None))
        session.execute(delete(MentionEntity).where(MentionEntity.mention_id.in_(ids)))
        session.execute(delete(IncidentMention).where(IncidentMention.mention_id.in_(ids)))
        session.execute(delete(Mention).where(Mention.id.in_(ids)))
    return len(ids)


def _runs(session: Session, cutoff: datetime, batch: int) -> int:
    used = or_(
        exists().where(Mention.run_id == IngestRun.id),
        exists().where(QuarantinedRow.run_id == IngestRun.id),
    )
    query = select(IngestRun.id).where(
        and_(IngestRun.status != "running", IngestRun.finished_at < cutoff, ~used)
    )
    return _ids_delete(session, IngestRun, query, batch)


def _ids_delete(session: Session, model: Any, query: Select[Any], batch: int) -> int:
    ids = list(session.scalars(query.limit(batch)))
    if ids:
        session.execute(delete(model).where(model.id.in_(ids)))
    return len(ids)


def _rowcount(result: object) -> int:
    return max(int(getattr(result, "rowcount", 0) or 0), 0)
