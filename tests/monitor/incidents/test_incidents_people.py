"""Escalation to people: on-call, person, team and lead targets resolved at alert time, each
alert mentioning the people routed to its channel; nobody on call is never silence; unknown
names are configuration errors with the playbook's file and line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.loader import ConfigError
from config.people import Person, Schedule, Team
from config.roster import Roster
from monitor.db.models import Alert, IncidentEvent
from monitor.escalation_targets import target_problems
from monitor.incidents import incident_report, tick_escalations
from monitor.incidents.context import build_incident_context
from monitor.incidents.testing import make_context, open_test_incident
from monitor.incidents.views import describe_event, incident_detail
from playbooks import load_playbooks

NOW = datetime.fromisoformat("2026-11-18T10:00:00+00:00")
BOOK = """\
name: everything
applies_to:
  grades: [low, medium, high, critical]
sla:
  time_to_ack: 10m
  time_to_first_response: 2h
checklist: [Confirm.]
steps:
  - notify: [console, {oncall: risk-primary, via: [risk-slack]}]
  - wait_ack: 10m
  - notify: [{oncall: risk-secondary}]
  - wait_ack: 10m
  - notify: [{lead: risk}, {oncall: nights}]
  - wait_ack: 10m
"""


def people() -> Roster:
    li = Person.model_validate(
        {"id": "li.na", "name": "Li Na", "contacts": {"slack": "U111", "dingtalk": "13800000000"}}
    )
    wang = Person.model_validate({"id": "wang.wei", "name": "Wang Wei", "contacts": {}})
    team = Team.model_validate(
        {
            "id": "risk",
            "name": "Risk",
            "members": ["li.na", "wang.wei"],
            "lead": "wang.wei",
            "channel": "risk-slack",
        }
    )
    layer = {"start": "2026-11-16", "members": ["li.na"]}
    schedules = [
        Schedule.model_validate({"id": "risk-primary", "team": "risk", "layers": [layer]}),
        Schedule.model_validate({"id": "risk-secondary", "team": "risk", "layers": [layer]}),
        Schedule.model_validate({"id": "nights", "layers": [layer]}),  # no team: no channel
    ]
    return Roster(
        people={p.id: p for p in (li, wang)},
        teams={"risk": team},
        schedules={s.id: s for s in schedules},
    )


def book(tmp_path: Path, text: str = BOOK) -> Any:
    path = tmp_path / "everything.yaml"
    path.write_text(text, encoding="utf-8")
    return load_playbooks([path])


def test_targets_become_mentions_on_their_channels_and_gaps_are_said(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    roster = people()
    asked: list[tuple[str, datetime]] = []

    def oncall(schedule: str, at: datetime) -> Sequence[Person]:
        asked.append((schedule, at))
        return [roster.people["li.na"]] if schedule == "risk-primary" else []

    ctx = make_context(playbooks=book(tmp_path), roster=roster, oncall=oncall)
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=NOW)
    for minutes in (10, 20):
        with sessions.begin() as s:
            tick_escalations(s, ctx=ctx, now=NOW + timedelta(minutes=minutes))
    with sessions.begin() as s:
        alerts = list(
            s.scalars(select(Alert).where(Alert.incident_id == incident_id).order_by(Alert.id))
        )
        events = list(
            s.scalars(
                select(IncidentEvent).where(
                    IncidentEvent.incident_id == incident_id, IncidentEvent.kind == "alert"
                )
            )
        )
        sent = [
            (a.channel, [r["name"] for r in a.payload["recipients"]], a.payload["paging"])
            for a in alerts
        ]
        first_detail = events[0].detail
    assert asked[0] == ("risk-primary", NOW)
    assert sent == [
        # level 1: console as listed, the on-call mentioned on the channel the target names
        ("console", [], []),
        ("risk-slack", ["Li Na"], []),
        # level 2: nobody on call for risk-secondary: its team's channel, saying so
        ("risk-slack", [], ["no one on call for risk-secondary: sent to risk-slack"]),
        # level 3: the lead on the team's channel; "nights" has no team: the playbook's channels
        ("risk-slack", ["Wang Wei"], ["no one on call for nights: sent to console, risk-slack"]),
        ("console", [], ["no one on call for nights: sent to console, risk-slack"]),
    ]
    assert alerts[1].payload["recipients"][0]["slack"] == "U111"
    assert first_detail is not None and first_detail["people"] == {"risk-slack": ["li.na"]}
    with sessions.begin() as s:
        timeline = incident_detail(s, incident_id=incident_id, ctx=ctx, now=NOW)["timeline"]
        report = incident_report(s, incident_id=incident_id, ctx=ctx)
    lines = [describe_event(e) for e in timeline if e["kind"] == "alert"]
    assert lines[0].startswith("alert opened (level 1) -> console, risk-slack for li.na on risk")
    assert lines[1].endswith("[no one on call for risk-secondary: sent to risk-slack]")
    assert "for li\\.na on risk\\-slack" in report


def test_without_an_oncall_lookup_schedules_fall_back_to_the_team_channel(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    ctx = make_context(playbooks=book(tmp_path), roster=people())
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=NOW)
        alerts = list(s.scalars(select(Alert).where(Alert.incident_id == incident_id)))
    assert sorted(a.channel for a in alerts) == ["console", "risk-slack"]
    slack = next(a for a in alerts if a.channel == "risk-slack")
    assert slack.payload["paging"] == ["no one on call for risk-primary: sent to risk-slack"]


def test_unknown_schedules_people_and_teams_name_the_playbook_line(tmp_path: Path) -> None:
    text = BOOK.replace("{oncall: risk-secondary}", "{oncall: risk-secundary}").replace(
        "{lead: risk}", "{person: li.na}, {person: nobody}, {team: legal}"
    )
    problems = [str(p) for p in target_problems(book(tmp_path, text), people())]
    where = str(tmp_path / "everything.yaml")
    assert problems == [
        f"{where}:11: steps[2].notify[0].oncall: unknown schedule 'risk-secundary' "
        "(did you mean 'risk-secondary'?)",
        f"{where}:13: steps[4].notify[1].person: unknown person 'nobody' "
        "(expected one of: li.na, wang.wei)",
        f"{where}:13: steps[4].notify[2].team: unknown team 'legal' (expected one of: risk)",
    ]
    empty = [str(p) for p in target_problems(book(tmp_path), Roster({}, {}, {}))]
    assert empty[0].endswith(
        "steps[0].notify[1].oncall: unknown schedule 'risk-primary' (no schedules are configured)"
    )


def test_start_up_refuses_a_playbook_naming_an_unknown_schedule(tmp_path: Path) -> None:
    from config.loader import load_config

    (tmp_path / "pb.yaml").write_text(BOOK, encoding="utf-8")
    config = tmp_path / "crisiswatch.yaml"
    config.write_text(
        "organisation: {name: Acme}\nentities: [{id: acme, name: Acme, kind: brand}]\n"
        "playbooks: {paths: [pb.yaml]}\n",
        encoding="utf-8",
    )
    loaded = load_config(config)
    with pytest.raises(ConfigError) as info:
        build_incident_context(loaded.settings, tmp_path)
    assert info.value.problems[0].startswith(f"{tmp_path / 'pb.yaml'}:9: steps[0].notify[1]")
    assert len(info.value.problems) == 4


def test_evidence_summaries_follow_the_first_level_to_where_people_were_paged(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    from monitor.db.models import Incident
    from monitor.incidents.testing import add_scored_mention, assign_stored

    only_people = BOOK.replace(
        "[console, {oncall: risk-primary, via: [risk-slack]}]", "[{oncall: risk-primary}]"
    )
    ctx = make_context(playbooks=book(tmp_path, only_people), roster=people())
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=NOW)
        story = s.get(Incident, incident_id).story_id  # type: ignore[union-attr]
    later = NOW + timedelta(minutes=2)
    with sessions.begin() as s:
        ids = [
            add_scored_mention(
                s,
                text=f"Acme formula complaint {i}",
                at=later,
                category="product_safety",
                severity=5,
                negative=0.9,
                story=story,
            )
            for i in range(10)
        ]
        assign_stored(s, ctx=ctx, mention_ids=ids, now=later)
        evidence = list(s.scalars(select(Alert).where(Alert.event == "evidence")))
    assert [a.channel for a in evidence] == ["risk-slack"]


def test_a_failing_oncall_lookup_still_alerts_the_team_channel(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    def broken(schedule: str, at: datetime) -> Sequence[Person]:
        raise KeyError(schedule)

    ctx = make_context(playbooks=book(tmp_path), roster=people(), oncall=broken)
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=NOW)
        alerts = list(s.scalars(select(Alert).where(Alert.incident_id == incident_id)))
    slack = next(a for a in alerts if a.channel == "risk-slack")
    assert slack.payload["paging"] == [
        "on-call lookup failed for risk-primary (KeyError): sent to risk-slack"
    ]


def test_a_target_no_channel_can_carry_is_a_config_error(tmp_path: Path) -> None:
    text = BOOK.replace(
        "[console, {oncall: risk-primary, via: [risk-slack]}]", "[{oncall: nights}]"
    )
    text = text.replace("[{lead: risk}, {oncall: nights}]", "[{person: li.na}]")
    only_people = book(tmp_path, text)
    bare = people()
    bare = Roster(bare.people, {}, bare.schedules)  # no team: no team channel
    problems = [str(p) for p in target_problems(only_people, bare)]
    assert len(problems) == 3
    assert problems[0].endswith(
        ":9: steps[0].notify[0].oncall: no channel can carry this target: add via: [channel], "
        "a channel to the step, or a channel to the team"
    )
    assert target_problems(only_people, people())[0].key == "steps[0].notify[0].oncall"


def test_an_unknown_name_at_alert_time_still_alerts(tmp_path: Path) -> None:
    from monitor.escalation_targets import route
    from playbooks import Notify

    (playbook,) = book(tmp_path)
    (target,) = playbook.steps[0].targets
    action = Notify(
        channels=("console",),
        level=1,
        due_at=NOW,
        reason="r",
        targets=(target, replace(target, kind="lead", id="gone", via=())),
    )
    routing = route(action, playbook=playbook, roster=Roster({}, {}, {}), oncall=None, now=NOW)
    assert list(routing.people) == ["console", "risk-slack"]
    assert routing.paging == [
        "unknown schedule 'risk-primary' (no schedules are configured): sent to risk-slack",
        "unknown team 'gone' (no teams are configured): sent to console",
    ]
