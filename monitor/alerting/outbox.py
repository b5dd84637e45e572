"""The alert outbox: alerts are rows written in the same transaction as the incident change.

A dispatcher (monitor.alerting.dispatch) claims pending rows and sends them; the unique
``dedup_key`` makes enqueueing idempotent, so replaying the same incident change never alerts twice.

Each incident's rows are numbered (``Alert.seq``) by bumping ``Incident.alert_seq`` with one
UPDATE: the row lock it takes is held until commit, so a transaction that numbers later also
commits later, and the numbers follow commit order. ``created_at`` (the batch's start) does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alerts.message import AlertMessage, DigestEntry, MentionRef, Recipient, ScriptRef
from monitor.db.models import Alert, Incident


def message_to_payload(message: AlertMessage) -> dict[str, Any]:
    """JSON-ready form of an AlertMessage (datetimes as ISO strings)."""
    data = asdict(message)
    data["created_at"] = message.created_at.isoformat()
    for ref in data["top_mentions"]:
        if ref.get("published") is not None:
            ref["published"] = ref["published"].isoformat()
        if ref.get("reply_due") is not None:
            ref["reply_due"] = ref["reply_due"].isoformat()
    return data


def payload_to_message(data: dict[str, Any]) -> AlertMessage:
    """Inverse of ``message_to_payload``."""
    fields = dict(data)
    fields["created_at"] = datetime.fromisoformat(fields["created_at"])
    fields["reasons"] = tuple(fields.get("reasons", ()))
    fields["sla"] = tuple(fields.get("sla", ()))
    fields["checklist"] = tuple(fields.get("checklist", ()))
    fields["top_mentions"] = tuple(
        MentionRef(
            **{
                **m,
                "published": datetime.fromisoformat(m["published"]) if m.get("published") else None,
                "reply_due": datetime.fromisoformat(m["reply_due"]) if m.get("reply_due") else None,
            }
        )
        for m in fields.get("top_mentions", ())
    )
    fields["scripts"] = tuple(ScriptRef(**s) for s in fields.get("scripts", ()))
    fields["members"] = tuple(DigestEntry(**m) for m in fields.get("members", ()))
    fields["recipients"] = tuple(Recipient(**r) for r in fields.get("recipients", ()))
    fields["paging"] = tuple(fields.get("paging", ()))
    return AlertMessage(**fields)


def enqueue_alert(
    session: Session,
    *,
    incident_id: int | None,
    message: AlertMessage,
    channels: Sequence[str],
    key: str,
    now: datetime,
    suppressed_reason: str | None = None,
    held: Mapping[str, tuple[datetime, str]] | None = None,
) -> list[Alert]:
    """Write one outbox row per channel; a (key, channel) already written is not written again.

    ``key`` identifies the incident change (e.g. the escalation step's key). With
    ``suppressed_reason`` (a silence), the rows are recorded as suppressed and never sent.
    ``held`` maps a channel muted by a time interval to (when it may send, why): its row is
    pending from then on, with the reason recorded in ``last_error``.
    """
    held = held or {}
    rows: list[Alert] = []
    payload = message_to_payload(message)
    wanted = {f"{key}|{channel}": channel for channel in dict.fromkeys(channels)}
    existing = set(session.scalars(select(Alert.dedup_key).where(Alert.dedup_key.in_(wanted))))
    new = [
        (dedup_key, channel) for dedup_key, channel in wanted.items() if dedup_key not in existing
    ]
    if not new:
        return rows
    # Flush pending incident changes first: they lock their rows in primary-key order, as they
    # always did, before the sequence locks this incident's row (no new deadlock order).
    session.flush()
    last = _take_sequence(session, incident_id, len(new)) if incident_id is not None else None
    for index, (dedup_key, channel) in enumerate(new):
        alert = Alert(
            incident_id=incident_id,
            event=message.event,
            channel=channel,
            dedup_key=dedup_key[:255],
            payload=payload,
            status="suppressed" if suppressed_reason else "pending",
            attempts=0,
            next_attempt_at=held[channel][0] if channel in held else now,
            last_error=suppressed_reason or (held[channel][1] if channel in held else None),
            created_at=now,
            drill=message.drill,
            seq=None if last is None else last - len(new) + 1 + index,
        )
        session.add(alert)
        rows.append(alert)
    session.flush()
    return rows


def _take_sequence(session: Session, incident_id: int, count: int) -> int:
    """Reserve ``count`` numbers of the incident's alert sequence; return the last one."""
    last = session.execute(
        update(Incident)
        .where(Incident.id == incident_id)
        .values(alert_seq=Incident.alert_seq + count)
        .returning(Incident.alert_seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return int(last)
