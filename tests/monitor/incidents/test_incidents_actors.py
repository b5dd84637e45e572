"""Acknowledgement bound to a person: ``--by`` names a configured person (or is recorded
unverified when there are none), Slack presses map to people by member id, and incident show
and the report name who acknowledged."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.people import Person
from config.roster import Roster
from monitor.alerting.slack_actions import make_on_action, slack_actor
from monitor.db.models import Alert, Incident, IncidentEvent
from monitor.incidents import (
    LifecycleError,
    acknowledge_incident,
    incident_report,
    resolve_incident,
)
from monitor.incidents.actors import identify, shown
from monitor.incidents.testing import make_context, open_test_incident
from monitor.incidents.views import incident_summary
from monitor.service.slack import incident_lifecycle_actions, people_first

NOW = datetime.fromisoformat("2026-11-18T10:00:00+00:00")


def roster() -> Roster:
    li = Person.model_validate({"id": "li.na", "name": "Li Na", "contacts": {"slack": "U111"}})
    wang = Person.model_validate({"id": "wang.wei", "name": "Wang Wei"})
    return Roster(people={"li.na": li, "wang.wei": wang}, teams={}, schedules={})


def test_by_names_a_person_by_id_or_name_or_fails_with_a_suggestion() -> None:
    people = roster()
    assert identify("li.na", people).person == "li.na"
    assert identify("li na", people).person == "li.na"  # the configured name, any case
    with pytest.raises(
        ValueError, match=r"^--by: unknown person 'lina' \(did you mean 'li.na'\?\)$"
    ):
        identify("lina", people)
    with pytest.raises(ValueError, match=r"\(known: li.na, wang.wei\)$"):
        identify("zzz", people)
    nobody = Roster({}, {}, {})
    assert identify("Ana on call", nobody).person is None
    assert shown("Ana on call", None, nobody) == "Ana on call"
    assert shown("slack:U9", None, people) == "slack:U9 (unverified)"
    assert shown("li.na", "li.na", people) == "Li Na (li.na)"


def test_ack_stores_the_person_and_the_report_names_them(sessions: sessionmaker[Session]) -> None:
    ctx = make_context(roster=roster())
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=NOW)
        with pytest.raises(LifecycleError, match="unknown person 'wang'"):
            acknowledge_incident(s, ctx=ctx, incident_id=incident_id, by="wang", now=NOW)
    with sessions.begin() as s:
        t = acknowledge_incident(
            s, ctx=ctx, incident_id=incident_id, by="Li Na", now=NOW + timedelta(minutes=3)
        )
        assert t.by == "li.na"
    with sessions.begin() as s:
        incident = s.get(Incident, incident_id)
        assert incident is not None
        assert (incident.acknowledged_by, incident.acknowledged_person) == ("li.na", "li.na")
        event = s.scalars(select(IncidentEvent).where(IncidentEvent.kind == "acknowledged")).one()
        assert event.detail == {"person": "li.na", "verified": True}
        note = s.scalars(select(Alert).where(Alert.event == "acknowledged")).first()
        assert note is not None and note.payload["note"] == "by Li Na (li.na)"
        assert incident_summary(incident, ctx)["acknowledged_by_shown"] == "Li Na (li.na)"
        report = incident_report(s, incident_id=incident_id, ctx=ctx)
    assert "3m (by Li Na \\(li\\.na\\), 2026-11-18 10:03 UTC)" in report
    with sessions.begin() as s, pytest.raises(LifecycleError, match="unknown person"):
        resolve_incident(s, ctx=ctx, incident_id=incident_id, by="nobody", note="x", now=NOW)


def test_without_people_any_name_is_recorded_unverified(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=NOW)
        acknowledge_incident(s, ctx=ctx, incident_id=incident_id, by="Ana", now=NOW)
    with sessions.begin() as s:
        incident = s.get(Incident, incident_id)
        assert incident is not None
        assert (incident.acknowledged_by, incident.acknowledged_person) == ("Ana", None)
        event = s.scalars(select(IncidentEvent).where(IncidentEvent.kind == "acknowledged")).one()
        assert event.detail == {"verified": False}
        assert incident_summary(incident, ctx)["acknowledged_by_shown"] == "Ana"


def test_slack_presses_map_to_people_and_strangers_are_unverified(
    sessions: sessionmaker[Session],
) -> None:
    people = roster()
    ctx = make_context(roster=people, clock=lambda: NOW)
    with sessions.begin() as s:
        known = open_test_incident(s, ctx=ctx, now=NOW)
        stranger = open_test_incident(s, ctx=ctx, now=NOW, text="Acme formula recalled again")
    on_action = make_on_action(
        sessions=sessions,
        actions=incident_lifecycle_actions(ctx),
        clock=lambda: NOW,
        actor_for=people_first(people, slack_actor),
    )
    assert (
        on_action("acknowledge", str(known), "U111") == f"Incident {known} acknowledged by li.na."
    )
    assert on_action("acknowledge", str(stranger), "U999") == (
        f"Incident {stranger} acknowledged by slack:U999."
    )
    with sessions.begin() as s:
        first, second = s.get(Incident, known), s.get(Incident, stranger)
        assert first is not None and second is not None
        assert first.acknowledged_person == "li.na"
        assert (second.acknowledged_by, second.acknowledged_person) == ("slack:U999", None)
        notes = [
            a.payload["note"]
            for a in s.scalars(select(Alert).where(Alert.event == "acknowledged"))
            if a.incident_id == stranger
        ]
    assert notes and set(notes) == {"by slack:U999 (unverified)"}
