"""Recovery: once a spiking incident's volume stays back at baseline, say so once.

``note_volume`` runs whenever the incident's volume is read (new mentions, escalation ticks):
a spike marks the incident as spiked; while it is spiked, the first calm reading starts the
calm clock and any loud one stops it. ``check_recoveries`` (from the escalation tick, because
calm means no new mentions arrive) sends the update when the clock passes ``recovery_after``.
A later spike clears ``recovered_at``, so a second wave gets its own recovery update.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from monitor.db.models import Incident, IncidentEvent
from monitor.incidents.context import IncidentContext
from monitor.incidents.escalation import alerted_channels, deliver
from monitor.incidents.spikes import ALL, VolumeReading, read_volume
from monitor.incidents.states import ACTIVE
from playbooks import Silence, format_duration


def note_volume(incident: Incident, reading: VolumeReading, *, now: datetime) -> bool:
    """Track spike and calm on the incident; True when a new spike started."""
    stats = dict(incident.stats or {})
    started = False
    if reading.spiking:
        started = not stats.get("spiked")
        stats["spiked"] = True
        stats["calm_since"] = None
        stats["peak_ratio"] = max(float(stats.get("peak_ratio") or 0), reading.ratio or 0.0)
        incident.recovered_at = None
    elif stats.get("spiked"):
        if reading.calm:
            stats["calm_since"] = stats.get("calm_since") or now.isoformat()
        else:
            stats["calm_since"] = None
    incident.stats = stats
    flag_modified(incident, "stats")
    return started


def check_recoveries(
    session: Session, *, ctx: IncidentContext, now: datetime, silences: Sequence[Silence]
) -> tuple[int, int, int]:
    """Send due recovery updates; (recovered incidents, alerts sent, alerts suppressed)."""
    # spike_ratio is set only while a spike wave awaits its recovery (see grouping._finish)
    candidates = [
        incident
        for incident in session.scalars(
            select(Incident).where(
                Incident.state.in_(ACTIVE),
                Incident.recovered_at.is_(None),
                Incident.spike_ratio.is_not(None),
            )
        )
        if (incident.stats or {}).get("spiked")
    ]
    if not candidates:
        return 0, 0, 0
    readings = read_volume(
        session,
        keys=[(i.entity_id, i.category or ALL) for i in candidates],
        now=now,
        rules=ctx.rules.spike,
        cache=ctx.cache,
    )
    recovered = sent = suppressed = 0
    for incident in candidates:
        reading = readings[(incident.entity_id, incident.category or ALL)]
        note_volume(incident, reading, now=now)
        since_text = (incident.stats or {}).get("calm_since")
        if not since_text:
            continue
        since = datetime.fromisoformat(since_text)
        if now - since < ctx.rules.recovery_after:
            continue
        a, b = mark_recovered(
            session, ctx=ctx, incident=incident, reading=reading, since=since, now=now,
            silences=silences,
        )
        recovered, sent, suppressed = recovered + 1, sent + a, suppressed + b
    return recovered, sent, suppressed


def mark_recovered(
    session: Session,
    *,
    ctx: IncidentContext,
    incident: Incident,
    reading: VolumeReading,
    since: datetime,
    now: datetime,
    silences: Sequence[Silence],
) -> tuple[int, int]:
    """Record the recovery and send the update to the channels already alerted."""
    stats = dict(incident.stats or {})
    stats["spiked"] = False
    incident.stats = stats
    flag_modified(incident, "stats")
    incident.recovered_at = now
    incident.spike_ratio = None
    incident.updated_at = now
    calm_for = format_duration(now - since)
    note = f"volume back at baseline for {calm_for}: {reading.describe()}"
    session.add(
        IncidentEvent(
            incident_id=incident.id, at=now, kind="recovery", grade=incident.grade,
            detail={"note": note, "calm_since": since.isoformat()},
        )
    )
    return deliver(
        session,
        ctx=ctx,
        incident=incident,
        event="recovery",
        channels=alerted_channels(session, incident.id),
        key=f"{incident.id}/recovery/{since.isoformat()}",
        now=now,
        silences=silences,
        note=note,
    )
