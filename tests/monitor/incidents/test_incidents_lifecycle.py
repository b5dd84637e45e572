"""Lifecycle: acknowledge, resolve, false positive, reopen; who, when, note; labels."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Alert, Incident, IncidentEvent, Label
from monitor.incidents import (
    LifecycleError,
    acknowledge_incident,
    escalate_now,
    mark_false_positive,
    reopen_by_id,
    resolve_incident,
    tick_escalations,
)
from monitor.incidents.testing import (
    add_scored_mention,
    assign_stored,
    make_context,
    open_test_incident,
    story_of,
)

NOW = datetime.fromisoformat("2026-11-18T10:00:00+00:00")


def events(s: Session, incident_id: int) -> list[IncidentEvent]:
    return list(
        s.scalars(
            select(IncidentEvent)
            .where(IncidentEvent.incident_id == incident_id)
            .order_by(IncidentEvent.id)
        )
    )


def alert_events(s: Session, incident_id: int) -> list[str]:
    rows = s.scalars(select(Alert).where(Alert.incident_id == incident_id).order_by(Alert.id))
    return [a.event for a in rows]


def test_acknowledge_records_who_when_and_stops_escalation(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=NOW)
    with sessions.begin() as s:
        done = acknowledge_incident(s, ctx=ctx, incident_id=incident_id, by="  Ana  ",
                                    note="on it", now=NOW + timedelta(minutes=3))
        assert done.state == "acknowledged" and done.by == "Ana" and done.alerts == 2
    with sessions.begin() as s:
        tick = tick_escalations(s, ctx=ctx, now=NOW + timedelta(days=1))
        assert tick.alerts == 0
        incident = s.get(Incident, incident_id)
        assert incident is not None
        assert incident.acknowledged_at == NOW + timedelta(minutes=3)
        assert incident.acknowledged_by == "Ana" and incident.next_due_at is None
        ack = [e for e in events(s, incident_id) if e.kind == "acknowledged"]
        assert ack[0].actor == "Ana" and ack[0].detail["note"] == "on it"
        assert alert_events(s, incident_id) == ["opened"] * 2 + ["acknowledged"] * 2
        with pytest.raises(LifecycleError, match="it is acknowledged by Ana"):
            acknowledge_incident(s, ctx=ctx, incident_id=incident_id, by="Bo", now=NOW)


def test_resolve_needs_a_note_and_a_name(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=NOW)
        with pytest.raises(LifecycleError, match="note is required"):
            resolve_incident(s, ctx=ctx, incident_id=incident_id, by="Ana", note=" ", now=NOW)
        with pytest.raises(LifecycleError, match="name is required"):
            resolve_incident(s, ctx=ctx, incident_id=incident_id, by="", note="x", now=NOW)
        with pytest.raises(LifecycleError, match="no incident #999"):
            resolve_incident(s, ctx=ctx, incident_id=999, by="Ana", note="x", now=NOW)
        done = resolve_incident(s, ctx=ctx, incident_id=incident_id, by="Ana",
                                note="statement published, batch withdrawn",
                                now=NOW + timedelta(hours=2))
        assert done.state == "resolved"
        incident = s.get(Incident, incident_id)
        assert incident is not None and incident.next_due_at is None
        assert incident.resolution_note == "statement published, batch withdrawn"
        with pytest.raises(LifecycleError, match="cannot resolve incident .* it is resolved"):
            resolve_incident(s, ctx=ctx, incident_id=incident_id, by="Ana", note="x", now=NOW)


def test_new_evidence_at_or_above_the_grade_soon_after_resolution_reopens(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=NOW)
        resolve_incident(s, ctx=ctx, incident_id=incident_id, by="Ana", note="done",
                         now=NOW + timedelta(hours=1))
    later = NOW + timedelta(hours=3)
    with sessions.begin() as s:
        # weaker evidence joins quietly and does not reopen
        weak = add_scored_mention(s, text="heard something about Acme formula, not sure",
                                  at=later, category="product_safety", severity=5,
                                  negative=0.7, category_score=0.55,
                                  story=story_of(s, incident_id))
        result = assign_stored(s, ctx=ctx, mention_ids=[weak], now=later)
        assert result.reopened == [] and result.opened == []
        assert s.get(Incident, incident_id).state == "resolved"  # type: ignore[union-attr]
        strong = add_scored_mention(s, text="second child hospitalised after Acme formula",
                                    at=later, category="product_safety", severity=5,
                                    negative=0.95, story=story_of(s, incident_id))
        result = assign_stored(s, ctx=ctx, mention_ids=[strong], now=later)
        assert result.reopened == [incident_id]
        incident = s.get(Incident, incident_id)
        assert incident is not None and incident.state == "open"
        assert incident.resolved_at is None and incident.mention_count == 3
        assert incident.next_due_at is not None
        assert [e.kind for e in events(s, incident_id)][-3:] == ["evidence", "reopened", "alert"]
        assert alert_events(s, incident_id)[-2:] == ["reopened", "reopened"]


def test_evidence_long_after_resolution_opens_a_new_incident(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        first = open_test_incident(s, ctx=ctx, now=NOW)
        resolve_incident(s, ctx=ctx, incident_id=first, by="Ana", note="done", now=NOW)
    with sessions.begin() as s:
        second = open_test_incident(s, ctx=ctx, now=NOW + timedelta(hours=30))
    assert second != first


def test_false_positive_stores_labels_and_never_reopens(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=NOW, lang="en",
                                         text="Acme lamp exploded in my hands (the lamp brand)")
        more = add_scored_mention(s, text="Acme lamp recall, unrelated to the dairy", at=NOW,
                                  category="product_safety", severity=5, negative=0.9,
                                  story=story_of(s, incident_id))
        assign_stored(s, ctx=ctx, mention_ids=[more], now=NOW)
        done = mark_false_positive(s, ctx=ctx, incident_id=incident_id, by="Ana",
                                   note="lamps, not our brand", now=NOW + timedelta(minutes=10))
        assert done.labels == 2 and done.state == "false_positive"
    with sessions.begin() as s:
        labels = s.scalars(select(Label).order_by(Label.id)).all()
        assert [(lb.kind, lb.value, lb.created_by) for lb in labels] == [
            ("false_positive", "product_safety", "Ana")
        ] * 2
        assert labels[0].text.startswith("Acme lamp exploded") and labels[0].lang == "en"
        assert labels[0].incident_id == incident_id
        again = add_scored_mention(s, text="Acme lamp exploded again, third one this month",
                                   at=NOW + timedelta(hours=1), category="product_safety",
                                   severity=5, negative=0.99, tier=1,
                                   story=story_of(s, incident_id))
        result = assign_stored(s, ctx=ctx, mention_ids=[again], now=NOW + timedelta(hours=1))
        assert result.reopened == [] and result.opened == []
        assert s.get(Incident, incident_id).state == "false_positive"  # type: ignore[union-attr]


def test_manual_reopen_and_escalate_now(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=NOW)
        with pytest.raises(LifecycleError, match="cannot reopen"):
            reopen_by_id(s, ctx=ctx, incident_id=incident_id, by="Ana", now=NOW)
        escalated = escalate_now(s, ctx=ctx, incident_id=incident_id, by="Bo",
                                 now=NOW + timedelta(minutes=1))
        assert escalated.alerts == 2  # the medium playbook's level 2: risk-slack, manager-email
        resolve_incident(s, ctx=ctx, incident_id=incident_id, by="Ana", note="x",
                         now=NOW + timedelta(minutes=2))
        reopened = reopen_by_id(s, ctx=ctx, incident_id=incident_id, by="Ana",
                                note="customers still writing in", now=NOW + timedelta(minutes=5))
        assert reopened.state == "open" and reopened.alerts == 2
        kinds = [e.kind for e in events(s, incident_id)]
        assert "escalation_requested" in kinds and "reopened" in kinds
        assert alert_events(s, incident_id).count("escalated") == 2
