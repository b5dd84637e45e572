"""Off-hours policy: low-grade steps held until working hours open (weekend, holiday, DST),
released by the escalation tick, cancelled by an acknowledgement, overtaken by a rise; high
grades page at once; nothing changes without working hours."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Alert, Incident, IncidentEvent
from monitor.digest.incident_figures import SlaBook, ack_breached, ack_seconds, incident_facts
from monitor.digest.period import Period
from monitor.incidents import acknowledge_incident, tick_escalations
from monitor.incidents.context import IncidentContext
from monitor.incidents.off_hours import HoursBook
from monitor.incidents.report import incident_report
from monitor.incidents.testing import (
    add_scored_mention,
    assign_stored,
    make_context,
    open_test_incident,
    story_of,
)
from monitor.incidents.views import describe_event, incident_detail
from playbooks.hours import Window, WorkingHours

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = Window(weekdays=frozenset(range(5)), start=time(9), end=time(18))
OFFICE = WorkingHours(zone=SHANGHAI, windows=(WEEKDAYS,))
# Friday 2026-11-20 22:00 in Shanghai; working hours next open Monday 09:00 (01:00 UTC)
FRIDAY_NIGHT = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
MONDAY_OPEN = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
COMPLAINT = "Acme support never answered my refund request, terrible service"


def office_context(hours: WorkingHours = OFFICE, **overrides: object) -> IncidentContext:
    return make_context(hours=HoursBook(organisation=hours), timezone="Asia/Shanghai", **overrides)


def open_low(s: Session, ctx: IncidentContext, now: datetime) -> int:
    return open_test_incident(
        s,
        ctx=ctx,
        now=now,
        text=COMPLAINT,
        category="customer_complaint",
        severity=1,
        grade="low",
    )


def alerts(s: Session, incident_id: int) -> list[Alert]:
    stmt = select(Alert).where(Alert.incident_id == incident_id).order_by(Alert.id)
    return list(s.scalars(stmt))


def held_events(s: Session, incident_id: int) -> list[IncidentEvent]:
    stmt = select(IncidentEvent).where(
        IncidentEvent.incident_id == incident_id, IncidentEvent.kind == "held"
    )
    return list(s.scalars(stmt))


def test_a_low_incident_on_friday_night_is_held_until_monday_and_released_by_the_tick(
    sessions: sessionmaker[Session],
) -> None:
    ctx = office_context()
    with sessions.begin() as s:
        incident_id = open_low(s, ctx, FRIDAY_NIGHT)
        assert alerts(s, incident_id) == []
        incident = s.get(Incident, incident_id)
        assert incident is not None and incident.next_due_at == MONDAY_OPEN
        (held,) = held_events(s, incident_id)
        assert held.detail["until"] == MONDAY_OPEN.isoformat()
        assert held.detail["starts_clock"] is True
        reply = held.detail["auto_reply"]
        assert reply["script"] == "general.offhours.en"
        assert "400-800-1234" in reply["text"] and f"reference {incident_id}" in reply["text"]
        detail = incident_detail(s, incident_id=incident_id, ctx=ctx, now=FRIDAY_NIGHT)
    line = describe_event(next(e for e in detail["timeline"] if e["kind"] == "held"))
    assert "held until 2026-11-23 09:00 UTC+8" in line and "auto-reply to post" in line
    # the SLA clock starts when working hours open: 12h to acknowledge from Monday 09:00
    assert detail["sla"][0] == "acknowledge within 12h (by 2026-11-23 21:00 UTC+8)"
    assert detail["sla"][1] == "first public response within 1d (by 2026-11-24 09:00 UTC+8)"
    for saturday in (FRIDAY_NIGHT + timedelta(hours=12), MONDAY_OPEN - timedelta(minutes=1)):
        with sessions.begin() as s:
            assert tick_escalations(s, ctx=ctx, now=saturday).alerts == 0
    with sessions.begin() as s:
        assert tick_escalations(s, ctx=ctx, now=MONDAY_OPEN).alerts == 2
        sent = alerts(s, incident_id)
        assert [(a.event, a.channel) for a in sent] == [
            ("opened", "console"),
            ("opened", "risk-slack"),
        ]
        assert all(a.created_at == MONDAY_OPEN for a in sent)
        assert sent[0].payload["note"] == (
            "new low incident; notifying level 1 (held outside working hours since "
            "2026-11-20 22:00 UTC+8)"
        )
        report = incident_report(
            s,
            incident_id=incident_id,
            ctx=dataclasses.replace(ctx, clock=lambda: MONDAY_OPEN + timedelta(hours=2)),
        )
    assert (
        "| Time to acknowledge | not acknowledged | 12h (low playbook) | due by "
        "2026-11-23 21:00 UTC+8 |" in report
    )
    assert "held: outside working hours" in report


def test_an_acknowledgement_while_held_cancels_the_held_notifications(
    sessions: sessionmaker[Session],
) -> None:
    ctx = office_context()
    with sessions.begin() as s:
        incident_id = open_low(s, ctx, FRIDAY_NIGHT)
        acknowledge_incident(
            s, ctx=ctx, incident_id=incident_id, by="Ana", now=FRIDAY_NIGHT + timedelta(hours=1)
        )
    with sessions.begin() as s:
        assert tick_escalations(s, ctx=ctx, now=MONDAY_OPEN + timedelta(days=2)).alerts == 0
        assert alerts(s, incident_id) == []


def test_a_rise_to_high_while_held_pages_at_once(sessions: sessionmaker[Session]) -> None:
    ctx = office_context()
    with sessions.begin() as s:
        incident_id = open_low(s, ctx, FRIDAY_NIGHT)
    later = FRIDAY_NIGHT + timedelta(hours=3)
    with sessions.begin() as s:
        big = add_scored_mention(
            s,
            text="national TV: Acme formula contaminated, recall now",
            at=later,
            category="product_safety",
            severity=5,
            negative=0.95,
            category_score=0.9,
            tier=1,
            author_reach=2_000_000,
            metrics={"reposts": 20_000},
            story=story_of(s, incident_id),
        )
        result = assign_stored(s, ctx=ctx, mention_ids=[big], now=later)
        assert result.alerts >= 2
        sent = alerts(s, incident_id)
        assert {a.event for a in sent} == {"grade_changed"}
        assert all(a.created_at == later for a in sent)
    with sessions.begin() as s:  # the rise pages at once, so its clocks run from then
        report = incident_report(
            s,
            incident_id=incident_id,
            ctx=dataclasses.replace(ctx, clock=lambda: later + timedelta(minutes=5)),
        )
        week = Period(first=date(2026, 11, 16), end=date(2026, 11, 23), tz="Asia/Shanghai")
        (fact,) = incident_facts(s, week, drill=False)
    assert fact.clock_start is None
    assert "due by 2026-11-21 01:05 UTC+8" in report  # the critical playbook's 5 minutes


def test_high_grades_page_at_once_outside_working_hours(sessions: sessionmaker[Session]) -> None:
    ctx = office_context()
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=FRIDAY_NIGHT, grade="high")
        assert [a.event for a in alerts(s, incident_id)] == ["opened", "opened"]
        assert held_events(s, incident_id) == []


def test_without_business_hours_a_low_incident_alerts_at_once_as_before(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident_id = open_low(s, ctx, FRIDAY_NIGHT)
        assert [a.channel for a in alerts(s, incident_id)] == ["console", "risk-slack"]
        assert held_events(s, incident_id) == []
    with sessions.begin() as s:  # and escalates at 12h, a Saturday morning, as before
        assert tick_escalations(s, ctx=ctx, now=FRIDAY_NIGHT + timedelta(hours=12)).alerts == 2


def test_a_step_falling_due_on_saturday_waits_for_monday(sessions: sessionmaker[Session]) -> None:
    ctx = office_context()
    friday_afternoon = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
    with sessions.begin() as s:
        incident_id = open_low(s, ctx, friday_afternoon)
        assert len(alerts(s, incident_id)) == 2
    saturday = friday_afternoon + timedelta(hours=12)
    with sessions.begin() as s:
        assert tick_escalations(s, ctx=ctx, now=saturday).alerts == 0
        incident = s.get(Incident, incident_id)
        assert incident is not None and incident.next_due_at == MONDAY_OPEN
        (held,) = held_events(s, incident_id)
        assert held.detail["starts_clock"] is False
    with sessions.begin() as s:
        assert tick_escalations(s, ctx=ctx, now=MONDAY_OPEN).alerts == 2
        assert [a.event for a in alerts(s, incident_id)][2:] == ["escalated", "escalated"]


def test_a_holiday_and_a_daylight_saving_change_move_the_release(
    sessions: sessionmaker[Session],
) -> None:
    new_year = WorkingHours(
        zone=SHANGHAI, windows=(WEEKDAYS,), holidays=frozenset({date(2027, 1, 1)})
    )
    ctx = office_context(new_year)
    with sessions.begin() as s:  # Thursday 2026-12-31 20:00 in Shanghai; Friday is a holiday
        incident_id = open_low(s, ctx, datetime(2026, 12, 31, 12, 0, tzinfo=UTC))
        incident = s.get(Incident, incident_id)
        assert incident is not None
        assert incident.next_due_at == datetime(2027, 1, 4, 1, 0, tzinfo=UTC)
    london = WorkingHours(zone=ZoneInfo("Europe/London"), windows=(WEEKDAYS,))
    ctx = office_context(london)
    with sessions.begin() as s:  # Saturday 2026-03-28 20:00 GMT; clocks go forward on Sunday
        incident_id = open_low(s, ctx, datetime(2026, 3, 28, 20, 0, tzinfo=UTC))
        incident = s.get(Incident, incident_id)
        assert incident is not None  # Monday 09:00 BST is 08:00 UTC
        assert incident.next_due_at == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_the_owning_team_s_hours_apply(sessions: sessionmaker[Session]) -> None:
    always = WorkingHours(
        zone=SHANGHAI, windows=(Window(weekdays=frozenset(range(7)), start=time(0), end=time.max),)
    )
    book = HoursBook(
        organisation=OFFICE,
        teams=(("care", frozenset({"acme"}), frozenset({"customer_complaint"}), always),),
    )
    ctx = make_context(hours=book)
    assert book.owner("acme", "customer_complaint") == "care"
    assert book.owner("acme", "product_safety") is None
    with sessions.begin() as s:  # the customer-care team works around the clock
        incident_id = open_low(s, ctx, FRIDAY_NIGHT)
        assert len(alerts(s, incident_id)) == 2


def test_the_auto_reply_goes_at_once_to_the_configured_channel(
    sessions: sessionmaker[Session],
) -> None:
    base = office_context()
    low = next(p for p in base.playbooks if p.name == "low")
    shifted = dataclasses.replace(
        low, off_hours=dataclasses.replace(low.off_hours, auto_reply_to=("webhook",))
    )
    ctx = dataclasses.replace(
        base, playbooks=tuple(shifted if p.name == "low" else p for p in base.playbooks)
    )
    with sessions.begin() as s:
        incident_id = open_low(s, ctx, FRIDAY_NIGHT)
        (row,) = alerts(s, incident_id)
        assert row.channel == "webhook" and row.status == "pending"
        note = row.payload["note"]
        assert "responders are notified at 2026-11-23 09:00 UTC+8" in note
        assert "general.offhours.en" in note and "400-800-1234" in note
    with sessions.begin() as s:
        assert tick_escalations(s, ctx=ctx, now=MONDAY_OPEN).alerts == 2
        assert [a.channel for a in alerts(s, incident_id)] == ["webhook", "console", "risk-slack"]


def test_the_digest_measures_a_held_incident_from_the_opening(
    sessions: sessionmaker[Session],
) -> None:
    ctx = office_context()
    with sessions.begin() as s:
        incident_id = open_low(s, ctx, FRIDAY_NIGHT)
    with sessions.begin() as s:
        tick_escalations(s, ctx=ctx, now=MONDAY_OPEN)
        acknowledge_incident(
            s, ctx=ctx, incident_id=incident_id, by="Ana", now=MONDAY_OPEN + timedelta(hours=11)
        )
    with sessions.begin() as s:
        week = Period(first=date(2026, 11, 16), end=date(2026, 11, 23), tz="Asia/Shanghai")
        (fact,) = incident_facts(s, week, drill=False)
    assert fact.clock_start == MONDAY_OPEN
    assert ack_seconds(fact) == 11 * 3600  # not the 70 hours since Friday night
    target = SlaBook(ctx.playbooks).playbook_for(fact)
    assert target is not None and target.sla.time_to_ack == timedelta(hours=12)
    assert ack_breached(fact, target.sla.time_to_ack, MONDAY_OPEN + timedelta(days=3)) is False
