"""The issue's scenario with an injected clock: a product-safety story grows to 500 mentions.

Minute by minute for 3 hours, the story's mentions are stored and grouped, and the escalation
tick runs. Nobody acknowledges until minute 65. An unrelated complaint arrives at minute 60.
Then the volume stops and ticks continue until the recovery update.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.engine import make_engine, session_factory
from monitor.db.migrate import ensure_schema
from monitor.db.models import Alert, Incident, IncidentEvent
from monitor.incidents import (
    IncidentContext,
    acknowledge_incident,
    tick_escalations,
)
from monitor.incidents.testing import add_scored_mention, assign_stored, make_context

T0 = datetime.fromisoformat("2026-11-16T08:00:00+00:00")  # a Monday, on the hour
ACK_MINUTE = 65
COMPLAINT_MINUTE = 60


def story_offsets() -> list[float]:
    """Seconds after T0: slow for 30 minutes, faster for an hour, then a flood; 500 in all."""
    out: list[float] = []
    t = 0.0
    while t < 30 * 60:
        out.append(t)
        t += 120
    while t < 90 * 60:
        out.append(t)
        t += 30
    step = (180 * 60 - t) / (500 - len(out))
    while len(out) < 500:
        out.append(t)
        t += step
    return out


def seed_background(sessions: sessionmaker[Session], ctx: IncidentContext) -> None:
    """Two quiet weeks: one harmless mention a day, so the product has a (near-zero) baseline."""
    with sessions.begin() as s:
        ids = [
            add_scored_mention(
                s, text=f"Bought Acme Kids formula again, all good (day {d})",
                at=T0 - timedelta(days=15 - d, hours=-3), entities=["acme-kids", "acme"],
                negative=0.1, entity_kind="product",
            )
            for d in range(15)
        ]
        assign_stored(s, ctx=ctx, mention_ids=ids, now=T0 - timedelta(hours=1))


def story_mention(s: Session, number: int, at: datetime) -> int:
    return add_scored_mention(
        s,
        text=f"Acme Kids formula made my baby sick after the new batch, report {number} of "
        "vomiting, parents sharing photos",
        at=at, entities=["acme-kids", "acme"], category="product_safety", category_score=0.6,
        severity=5, negative=0.9, metrics={"reposts": 2}, entity_kind="product",
        author=f"parent{number}", author_reach=100 + number, source_id="weibo",
    )


@dataclass
class Story:
    sessions: sessionmaker[Session]
    ctx: IncidentContext
    story_id: int
    complaint_id: int
    grades: list[tuple[int, str]]  # (minute, grade) whenever it changed


def run_story(sessions: sessionmaker[Session]) -> Story:
    ctx = make_context()
    seed_background(sessions, ctx)
    pending = story_offsets()
    grades: list[tuple[int, str]] = []
    complaint_id = story_id = 0
    for minute in range(0, 181):
        now = T0 + timedelta(minutes=minute)
        with sessions.begin() as s:
            batch = []
            while pending and pending[0] <= minute * 60:
                offset = pending.pop(0)
                batch.append(story_mention(s, 500 - len(pending), T0 + timedelta(seconds=offset)))
            if minute == COMPLAINT_MINUTE:
                batch.append(
                    add_scored_mention(
                        s, text="Acme customer service kept me on hold for two hours and "
                        "never called back about my refund", at=now, entities=["acme"],
                        category="customer_complaint", category_score=0.6, severity=2,
                        negative=0.9, source_id="x",
                    )
                )
            result = assign_stored(s, ctx=ctx, mention_ids=batch, now=now)
            if minute == 0:
                story_id = result.opened[0]
            if minute == COMPLAINT_MINUTE:
                complaint_id = next(i for i in result.opened if i != story_id)
            if minute == ACK_MINUTE:
                acknowledge_incident(s, ctx=ctx, incident_id=story_id, by="Mei (risk lead)",
                                     note="commander: Mei", now=now)
            tick_escalations(s, ctx=ctx, now=now)
            grade = s.get(Incident, story_id).grade  # type: ignore[union-attr]
            if not grades or grades[-1][1] != grade:
                grades.append((minute, grade))
    # the volume stops: keep ticking every 10 minutes for four more hours
    for minute in range(190, 420, 10):
        with sessions.begin() as s:
            tick_escalations(s, ctx=ctx, now=T0 + timedelta(minutes=minute))
    return Story(sessions, ctx, story_id, complaint_id, grades)


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    path: Path = tmp_path_factory.mktemp("story") / "story.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    try:
        yield run_story(session_factory(engine))
    finally:
        engine.dispose()


def alerts(story: Story, incident_id: int) -> list[Alert]:
    with story.sessions() as s:
        return list(
            s.scalars(select(Alert).where(Alert.incident_id == incident_id).order_by(Alert.id))
        )


def minute_of(moment: datetime) -> float:
    return (moment - T0).total_seconds() / 60


def test_the_story_is_exactly_one_incident(story: Story) -> None:
    with story.sessions() as s:
        incidents = s.scalars(select(Incident).order_by(Incident.id)).all()
        assert [i.id for i in incidents] == [story.story_id, story.complaint_id]
        main = incidents[0]
        assert (main.entity_id, main.category) == ("acme-kids", "product_safety")
        assert main.mention_count == 500
        assert main.negative_count == 500
        assert main.first_seen_at == T0
        assert main.top_sources[0]["source"] == "weibo"
        assert main.top_authors[0]["author"] == "parent500"


def test_grade_rises_medium_high_critical_and_alerts_once_per_rise(story: Story) -> None:
    assert [g for _, g in story.grades] == ["medium", "high", "critical"]
    rises = [a for a in alerts(story, story.story_id) if a.event == "grade_changed"]
    keys = {a.dedup_key.split("|")[0] for a in rises}
    assert len(keys) == 2  # medium -> high, high -> critical; nothing more
    assert [a.payload["grade"] for a in rises] == ["high"] * 2 + ["critical"] * 3
    high_at, critical_at = story.grades[1][0], story.grades[2][0]
    assert {minute_of(a.created_at) for a in rises} == {high_at, critical_at}
    opened = [a for a in alerts(story, story.story_id) if a.event == "opened"]
    assert {a.channel for a in opened} == {"console", "risk-slack"}
    assert all(a.payload["grade"] == "medium" for a in opened)


def test_unacknowledged_escalation_fires_after_15_minutes_and_stops_on_ack(story: Story) -> None:
    high_at = story.grades[1][0]
    escalated = [a for a in alerts(story, story.story_id) if a.event == "escalated"]
    first = [a for a in escalated if a.payload["grade"] == "high"]
    assert {a.channel for a in first} == {"risk-slack", "manager-email", "exec-slack"}
    assert {minute_of(a.created_at) for a in first} == {high_at + 15}
    assert all(a.payload["escalation_level"] == 2 for a in first)
    assert escalated, "the critical playbook escalates too before anyone acknowledges"
    assert max(minute_of(a.created_at) for a in escalated) < ACK_MINUTE
    with story.sessions() as s:
        incident = s.get(Incident, story.story_id)
        assert incident is not None
        assert incident.state == "acknowledged" and incident.acknowledged_by == "Mei (risk lead)"
        assert incident.next_due_at is None
    acked = [a for a in alerts(story, story.story_id) if a.event == "acknowledged"]
    assert acked and all(minute_of(a.created_at) == ACK_MINUTE for a in acked)


def test_unrelated_complaint_opens_its_own_incident(story: Story) -> None:
    with story.sessions() as s:
        complaint = s.get(Incident, story.complaint_id)
        assert complaint is not None
        assert (complaint.entity_id, complaint.category) == ("acme", "customer_complaint")
        assert complaint.grade == "low" and complaint.mention_count == 1
        assert complaint.playbook == "low"
    opened = alerts(story, story.complaint_id)
    assert [a.event for a in opened] == ["opened", "opened"]


def test_recovery_update_follows_when_volume_calms(story: Story) -> None:
    recovery = [a for a in alerts(story, story.story_id) if a.event == "recovery"]
    assert recovery, "a recovery update is sent"
    assert len({a.dedup_key.split("|")[0] for a in recovery}) == 1
    with story.sessions() as s:
        incident = s.get(Incident, story.story_id)
        assert incident is not None and incident.recovered_at is not None
        calm = s.scalars(
            select(IncidentEvent).where(
                IncidentEvent.incident_id == story.story_id, IncidentEvent.kind == "recovery"
            )
        ).one()
        since = datetime.fromisoformat(calm.detail["calm_since"])
    # the last story mention is at 3h; the sliding hour empties before 4h; then 2h of calm
    assert minute_of(since) >= 180
    assert incident.recovered_at - since >= timedelta(hours=2)
    assert minute_of(incident.recovered_at) < 420
    assert "back at baseline" in recovery[0].payload["note"]


def test_every_alert_row_is_pending_and_unique(story: Story) -> None:
    rows = alerts(story, story.story_id)
    assert all(a.status == "pending" for a in rows)
    assert len({a.dedup_key for a in rows}) == len(rows)
