"""The library side of the console's incident queue: list filters, counts per grade, SLA due."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.engine import make_engine, session_factory
from monitor.db.migrate import upgrade
from monitor.db.models import Incident
from monitor.incidents import acknowledge_incident, record_response
from monitor.incidents.messages import playbook_for, sla_due, sla_lines
from monitor.incidents.testing import make_context, open_test_incident
from monitor.incidents.views import count_by_grade, list_incidents

NOW = datetime.fromisoformat("2026-11-18T10:00:00+00:00")


def add(s: Session, *, grade: str, state: str = "open", entity: str = "acme",
        category: str | None = "product_safety", minutes_ago: int = 0,
        peak: str | None = None) -> int:
    at = NOW - timedelta(minutes=minutes_ago)
    incident = Incident(entity_id=entity, category=category, state=state, grade=grade,
                        peak_grade=peak or grade, likelihood=3, impact=3, title="t",
                        first_seen_at=at, last_seen_at=at, opened_at=at, updated_at=at)
    s.add(incident)
    s.flush()
    return incident.id


def ids(found: list[Incident]) -> list[int]:
    return [i.id for i in found]


def test_new_filters_narrow_the_list_and_keep_its_order(
        sessions: sessionmaker[Session]) -> None:
    check_filters(sessions)


def test_filters_and_counts_on_postgresql(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        check_filters(session_factory(engine))
        with engine.begin() as conn:
            conn.execute(delete(Incident))
        check_counts(session_factory(engine))
    finally:
        engine.dispose()


def check_filters(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        low = add(s, grade="low")
        high_old = add(s, grade="high", minutes_ago=30)
        high_new = add(s, grade="high", state="acknowledged", entity="ceo",
                       category="executive_conduct")
        critical = add(s, grade="critical", state="resolved", entity="acme-kids")
        medium = add(s, grade="medium", category=None, peak="high")
        assert ids(list_incidents(s)) == [critical, high_new, high_old, medium, low]
        assert ids(list_incidents(s, states=("open",))) == [high_old, medium, low]
        assert ids(list_incidents(s, current_grade="high")) == [high_new, high_old]
        # ``grade`` stays "at least, current or peak"
        assert ids(list_incidents(s, grade="high")) == [critical, high_new, high_old, medium]
        assert ids(list_incidents(s, category="product_safety")) == [critical, high_old, low]
        assert ids(list_incidents(s, entities=("ceo", "acme-kids"))) == [critical, high_new]
        # a category scope leaves out incidents opened on volume alone
        assert ids(list_incidents(s, categories=("product_safety", "executive_conduct"))) == [
            critical, high_new, high_old, low]
        assert ids(list_incidents(s, entities=("acme",), category="executive_conduct")) == []
        assert ids(list_incidents(s, limit=2, offset=2)) == [high_old, medium]
        assert ids(list_incidents(s, states=())) == []


def test_count_by_grade_is_one_group_by_under_the_same_filters(
        sessions: sessionmaker[Session]) -> None:
    check_counts(sessions)


def check_counts(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        add(s, grade="high")
        add(s, grade="high", state="resolved")
        add(s, grade="low", entity="ceo")
        add(s, grade="critical", category="data_privacy")
        assert count_by_grade(s) == {"high": 2, "low": 1, "critical": 1}
        assert count_by_grade(s, states=("open", "acknowledged")) == {
            "high": 1, "low": 1, "critical": 1}
        assert count_by_grade(s, entities=("acme",), categories=("product_safety",)) == {
            "high": 2}
        assert count_by_grade(s, entity="nobody") == {}


def test_sla_due_are_the_deadlines_sla_lines_prints(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident = s.get(Incident, open_test_incident(s, ctx=ctx, now=NOW, tier=1))
        assert incident is not None
        playbook = playbook_for(incident, ctx)
        assert playbook is not None
        assert sla_due(incident, playbook=playbook) == (
            NOW + playbook.sla.time_to_ack, NOW + playbook.sla.time_to_first_response)
        assert sla_lines(incident, playbook, "UTC") == (
            "acknowledge within 15m (by 2026-11-18 10:15 UTC)",
            "first public response within 2h (by 2026-11-18 12:00 UTC)")
        acknowledge_incident(s, ctx=ctx, incident_id=incident.id, by="Ana",
                             now=NOW + timedelta(minutes=20))
        assert sla_due(incident, playbook=playbook) == (
            None, NOW + playbook.sla.time_to_first_response)
        record_response(s, ctx=ctx, incident_id=incident.id, by="Wen", note="statement",
                        now=NOW + timedelta(minutes=50))
        assert sla_due(incident, playbook=playbook) == (None, None)
        assert sla_due(incident, playbook=None) is None
