"""Escalation ticks: restart safety, silences, unknown channels, rises after acknowledgement."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Alert, Incident, IncidentEvent
from monitor.incidents import acknowledge_incident, tick_escalations
from monitor.incidents.silences import add_silence, list_silences, remove_silence
from monitor.incidents.testing import (
    add_scored_mention,
    assign_stored,
    make_context,
    open_test_incident,
    story_of,
)

NOW = datetime.fromisoformat("2026-11-18T10:00:00+00:00")


def rows(s: Session, incident_id: int) -> list[Alert]:
    return list(s.scalars(select(Alert).where(Alert.incident_id == incident_id).order_by(Alert.id)))


def test_ticking_twice_or_after_a_crash_never_alerts_twice(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=NOW)
        before = dict(s.get(Incident, incident_id).escalation or {})  # type: ignore[union-attr]
    due = NOW + timedelta(minutes=30)  # the medium playbook escalates after 30 minutes
    with sessions.begin() as s:
        assert tick_escalations(s, ctx=ctx, now=due).alerts == 2
    with sessions.begin() as s:
        assert tick_escalations(s, ctx=ctx, now=due).alerts == 0
    with sessions.begin() as s:
        # a crash that lost the state update but not the outbox rows: replaying is harmless
        incident = s.get(Incident, incident_id)
        assert incident is not None
        incident.escalation, incident.next_due_at = before, NOW
    with sessions.begin() as s:
        assert tick_escalations(s, ctx=ctx, now=due).alerts == 0
        alerts = rows(s, incident_id)
    assert [a.event for a in alerts] == ["opened", "opened", "escalated", "escalated"]
    assert len({a.dedup_key for a in alerts}) == 4


def test_a_silenced_entity_records_but_does_not_alert(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        add_silence(s, entity="acme", category=None, source=None, until=NOW + timedelta(minutes=45),
                    reason="known noise: lamp brand", by="Ana", now=NOW - timedelta(hours=1))
        incident_id = open_test_incident(s, ctx=ctx, now=NOW)
    with sessions.begin() as s:
        tick_escalations(s, ctx=ctx, now=NOW + timedelta(minutes=30))
        recorded = rows(s, incident_id)
        assert [a.event for a in recorded] == ["opened"] * 2 + ["escalated"] * 2
        assert {a.status for a in recorded} == {"suppressed"}
        assert all("known noise" in (a.last_error or "") for a in recorded)
        incident = s.get(Incident, incident_id)
        assert incident is not None and incident.mention_count == 1
    with sessions.begin() as s:  # the silence has ended: the next repeat goes out
        tick_escalations(s, ctx=ctx, now=NOW + timedelta(minutes=90))
        after = [a for a in rows(s, incident_id) if a.status == "pending"]
        assert {a.channel for a in after} == {"risk-slack", "manager-email"}


def test_a_source_silence_covers_only_incidents_wholly_from_that_source(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        add_silence(s, entity=None, category=None, source="forum", until=NOW + timedelta(days=1),
                    reason="forum flood", by="Ana", now=NOW)
        quiet = open_test_incident(s, ctx=ctx, now=NOW, source_id="forum")
        loud = open_test_incident(s, ctx=ctx, now=NOW, entities=["acme-kids"],
                                  source_id="news", text="Acme Kids formula recalled nationwide")
        assert {a.status for a in rows(s, quiet)} == {"suppressed"}
        assert {a.status for a in rows(s, loud)} == {"pending"}
        active = list_silences(s, now=NOW)
        assert [x.source_id for x in active] == ["forum"]
        remove_silence(s, silence_id=active[0].id)
        assert list_silences(s, now=NOW) == []


def test_unknown_or_disabled_channels_are_skipped_and_recorded(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context(channels=frozenset({"console"}))
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=NOW)
        assert [a.channel for a in rows(s, incident_id)] == ["console"]
        alert = s.scalars(
            select(IncidentEvent).where(IncidentEvent.kind == "alert")
        ).one()
        assert alert.detail["skipped_channels"] == ["risk-slack"]


def test_a_rise_after_acknowledgement_alerts_once_without_escalating(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=NOW)
        acknowledge_incident(s, ctx=ctx, incident_id=incident_id, by="Ana", now=NOW)
    later = NOW + timedelta(minutes=20)
    with sessions.begin() as s:
        big = add_scored_mention(s, text="national TV: Acme formula contaminated, recall now",
                                 at=later, category="product_safety", severity=5,
                                 negative=0.95, category_score=0.9, tier=1,
                                 author_reach=2_000_000,
                                 metrics={"reposts": 20_000}, story=story_of(s, incident_id))
        result = assign_stored(s, ctx=ctx, mention_ids=[big], now=later)
        assert result.alerts == 3  # the critical playbook's first level, once
        incident = s.get(Incident, incident_id)
        assert incident is not None and incident.peak_grade == "critical"
        assert incident.state == "acknowledged" and incident.next_due_at is None
    with sessions.begin() as s:
        assert tick_escalations(s, ctx=ctx, now=later + timedelta(hours=3)).alerts == 0
        events = [a.event for a in rows(s, incident_id)]
        assert events.count("grade_changed") == 3 and "escalated" not in events


def test_a_playbook_removed_from_the_configuration_stops_escalation_cleanly(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=NOW)
    shrunk = make_context(playbooks=tuple(p for p in ctx.playbooks if p.name != "medium"))
    with sessions.begin() as s:
        assert tick_escalations(s, ctx=shrunk, now=NOW + timedelta(hours=1)).alerts == 0
        stopped = s.scalars(
            select(IncidentEvent).where(IncidentEvent.kind == "escalation_stopped")
        ).one()
        assert "medium" in stopped.detail["reason"]
        assert s.get(Incident, incident_id).next_due_at is None  # type: ignore[union-attr]
