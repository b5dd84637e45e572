"""Drills through the real pipeline: shipped scenarios, responders, isolation, reports."""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from alerts.message import as_utc
from config.loader import LoadedConfig
from monitor.app import App, build_app
from monitor.cli.main import cli
from monitor.db.engine import sqlite_url
from monitor.db.models import Alert, DrillRun, Incident, Mention
from monitor.drills.replay import DrillError, DrillSetup, run_drill
from monitor.drills.report import DrillReport, render_text
from monitor.drills.scenario import load_scenario, shipped_scenarios
from monitor.drills.testing import FakeWall
from monitor.incidents import lifecycle
from monitor.service.jobs import drill_rounds

from .conftest import RunDrill


def rows(url: str, model: type) -> list:  # type: ignore[type-arg]
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(model)))
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_each_shipped_scenario_reaches_its_expected_grades_and_escalations(
        drill: RunDrill, tmp_path: Path, name: str) -> None:
    scenario = load_scenario(shipped_scenarios()[name])
    report = drill(scenario)
    assert report.state == "finished" and report.length_s == scenario.run_for.total_seconds()
    assert scenario.expect is not None
    assert report.highest_grade == scenario.expect.highest_grade
    assert report.escalation_level == scenario.expect.escalation_level
    assert report.checks and all(c.ok is True for c in report.checks), render_text(report)
    assert report.mentions == report.posts  # every post matched the example's watchlist
    # alerts went out marked as a drill, naming the drill incident, to the stand-in channels
    url = sqlite_url(tmp_path / f"{scenario.id}.sqlite")
    alerts = rows(url, Alert)
    assert alerts and all(a.drill and a.payload["drill"] for a in alerts)
    assert all(a.payload["incident_id"].endswith(f"@{report.key}") for a in alerts)
    lines = (tmp_path / "crisiswatch-data" / "alerts" / "risk-slack.jsonl").read_text("utf-8")
    assert all(json.loads(line)["drill"] is True for line in lines.splitlines())
    assert all(i.drill for i in rows(url, Incident))
    # the report is stored in the drill database and in the main one; the main one holds
    # nothing else of the drill
    main = sqlite_url((tmp_path / "crisiswatch-data" / "crisiswatch.sqlite").resolve())
    for where in (url, main):
        (run,) = rows(where, DrillRun)
        assert run.state == "finished" and run.report is not None
        assert DrillReport.from_dict(run.report) == report
    assert rows(main, Mention) == [] and rows(main, Incident) == []


def test_a_responder_who_acknowledges_and_resolves_is_timed_against_the_sla(
        drill: RunDrill) -> None:
    scenario = load_scenario(shipped_scenarios()["service-outage-en"])
    acked: dict[int, datetime] = {}

    def responder(app: App) -> None:
        """Acknowledges each incident 2 minutes after it opens, publishes a response 10 minutes
        later and resolves it 20 minutes after acknowledging."""
        now = app.incidents.clock()
        with app.sessions.begin() as session:
            for incident in session.scalars(select(Incident)):
                opened = as_utc(incident.opened_at)
                if incident.state == "open" and now - opened >= timedelta(minutes=2):
                    # reopened by later posts: acknowledged again at once
                    lifecycle.acknowledge_incident(session, ctx=app.incidents,
                                                   incident_id=incident.id, by="li.na", now=now)
                    acked.setdefault(incident.id, now)
                elif (incident.responded_at is None and incident.id in acked
                      and now - acked[incident.id] >= timedelta(minutes=10)):
                    lifecycle.record_response(session, ctx=app.incidents,
                                              incident_id=incident.id, by="tom.clarke",
                                              note="holding statement", now=now)
                elif (incident.state == "acknowledged"
                      and now - acked[incident.id] >= timedelta(minutes=20)):
                    lifecycle.resolve_incident(session, ctx=app.incidents,
                                               incident_id=incident.id, by="li.na",
                                               note="statement published", now=now)

    said: list[str] = []
    report = drill(scenario, on_step=responder, say=said.append)
    assert any("incident #1 responded by tom.clarke" in line for line in said)
    first = report.incidents[0]
    assert first.acknowledged_by == "li.na" and first.time_to_ack_s is not None
    # acknowledged while still LOW: measured against the low playbook's target, from opening
    assert first.time_to_ack_s == 120 and first.ack_grade == "low" and first.ack_met is True
    assert first.responded_by == "tom.clarke" and first.responded_s == first.opened_s + 12 * 60
    assert first.response_met is True and first.resolved_by == "li.na"
    # nobody waited for the next level: the escalation expectation does not apply
    (escalation,) = [c for c in report.checks if c.what.startswith("escalation")]
    assert escalation.ok is None and "acknowledged first" in escalation.actual
    assert report.escalation_level == 1
    text = render_text(report)
    # low: 12h to acknowledge (its 24h first response follows the annual plan)
    assert "acknowledged at +2:00 by li.na (LOW since +0:00: target 12:00:00" in text
    # it rose to MEDIUM at +10:00, before the response: the response is timed from that rise,
    # on the medium target (the crisis plan's 2 hours)
    assert (
        "responded at +12:00 by tom.clarke (MEDIUM since +10:00: first-response target "
        "2:00:00: ok)" in text
    )
    assert "closed at +22:00 by li.na" in text


def test_the_drill_ends_early_when_every_incident_is_closed(drill: RunDrill) -> None:
    scenario = load_scenario(shipped_scenarios()["data-breach-en"])

    def close_all(app: App) -> None:
        now = app.incidents.clock()
        with app.sessions.begin() as session:
            for incident in session.scalars(select(Incident).where(
                    Incident.state.in_(("open", "acknowledged")))):
                lifecycle.mark_false_positive(session, ctx=app.incidents,
                                                  incident_id=incident.id, by="wang.wei",
                                                  note="drill", now=now)

    report = drill(scenario, on_step=close_all)
    assert report.state == "finished" and report.length_s < scenario.run_for.total_seconds()
    assert report.length_s >= 45 * 60  # not before the last post


def test_stop_aborts_the_drill_and_still_stores_a_report(drill: RunDrill) -> None:
    scenario = load_scenario(shipped_scenarios()["product-safety-zh"])
    stop = threading.Event()
    steps = []

    def stop_after_three(app: App) -> None:
        steps.append(1)
        if len(steps) == 3:
            stop.set()

    report = drill(scenario, on_step=stop_after_three, stop=stop)
    assert report.state == "aborted" and report.length_s < 5 * 60
    assert any(c.ok is False for c in report.checks)  # critical was never reached


def test_a_drill_never_uses_the_main_or_a_used_database(example: LoadedConfig,
                                                        tmp_path: Path) -> None:
    scenario = load_scenario(shipped_scenarios()["service-outage-en"])
    wall = FakeWall()
    main = sqlite_url((tmp_path / "crisiswatch-data" / "crisiswatch.sqlite").resolve())
    with pytest.raises(DrillError, match="not the main one"):
        run_drill(config=example, scenario=scenario, rounds=drill_rounds,
                  setup=DrillSetup(database=main),
                  wall=wall, sleep=wall.sleep)
    used = sqlite_url(tmp_path / "used.sqlite")
    app = build_app(example, database=used)
    app.close()
    from monitor.collectors.base import RawItem
    from monitor.pipeline.collect import ingest_items

    app = build_app(example, database=used)
    ingest_items(app.pipeline, source_id="x", kind="drill", location="x",
                 items=[RawItem(external_id="1", text="Lumina Dairy app down")])
    app.close()
    with pytest.raises(DrillError, match="already holds data"):
        run_drill(config=example, scenario=scenario, rounds=drill_rounds,
                  setup=DrillSetup(database=used),
                  wall=wall, sleep=wall.sleep)
    with pytest.raises(DrillError, match="unknown channel 'pager'"):
        run_drill(config=example, scenario=scenario, rounds=drill_rounds,
                  setup=DrillSetup(channels=("pager",)),
                  wall=wall, sleep=wall.sleep)


def test_channel_choice_limits_where_drill_alerts_go(drill: RunDrill, tmp_path: Path) -> None:
    scenario = load_scenario(shipped_scenarios()["executive-rumour-zh"])
    report = drill(scenario, channels=("console",))
    assert {a.channel for a in report.alerts} == {"console"}
    assert not (tmp_path / "crisiswatch-data" / "alerts").exists()


def test_commands_on_a_running_drill_database_use_drill_time(example: LoadedConfig,
                                                            tmp_path: Path) -> None:
    """A responder's `crisiswatch ack` is stamped on the drill's clock, not the wall clock."""
    scenario = load_scenario(shipped_scenarios()["service-outage-en"])
    wall = FakeWall()
    url = sqlite_url(tmp_path / "live.sqlite")
    seen: list[str] = []

    def ack_from_the_command_line(app: App) -> None:
        if seen or not rows(url, Incident):
            return
        seen.append("acked")
        # the command runs on the real wall clock; the drill's row says where drill time is
        result = CliRunner().invoke(cli, ["--database", url, "ack", "1", "--by", "zhang.min"])
        assert result.exit_code == 0, result.output

    run_drill(config=example, scenario=scenario, rounds=drill_rounds,
                  setup=DrillSetup(speed=60, database=url),
              wall=wall, sleep=wall.sleep, on_step=ack_from_the_command_line)
    (incident, *_) = rows(url, Incident)
    (run,) = rows(url, DrillRun)
    assert incident.acknowledged_by == "zhang.min" and incident.acknowledged_at is not None
    # the fake wall stood near the drill's start, so the real wall clock (some seconds later,
    # times 60) puts the acknowledgement in drill time, after the drill's own start
    assert incident.acknowledged_at >= run.scenario_start
    assert incident.acknowledged_at - run.scenario_start < timedelta(hours=2)


TINY = """\
id: tiny-outage
title: Tiny outage
language: en
sources:
  x: {tier: 2, name: X}
run_for: 2m
timeline:
  - at: 0m
    source: x
    author: someone
    reach: 200000
    reposts: 500
    text: "The ${brand} app is down again, payments failing, terrible service, total outage"
expect:
  highest_grade: critical
"""


def test_drill_command_prints_live_progress_and_a_stored_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRISISWATCH_CONFIG", raising=False)
    monkeypatch.delenv("CRISISWATCH_DATABASE_URL", raising=False)
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY, encoding="utf-8")
    result = CliRunner().invoke(cli, ["drill", str(scenario), "--speed", "240",
                                      "--channel", "console"])
    out = result.output
    assert "DRILL tiny-outage: Tiny outage" in out
    assert "export CRISISWATCH_DATABASE_URL='sqlite:///" in out
    assert "X: someone (1 stored, 0 unmatched)" in out
    assert "[DRILL] " in out and "@tiny-outage-" in out  # the console alert itself
    assert "DRILL REPORT · Tiny outage" in out
    key = re.search(r"Stored as drill (\S+);", out)
    assert key is not None, out
    # the expectation decides the exit status
    grade = re.search(r"highest grade: expected critical, got (\w+)", out)
    assert grade is not None and result.exit_code == (0 if grade.group(1) == "critical" else 1)
    listed = CliRunner().invoke(cli, ["drills"])
    assert listed.exit_code == 0 and key.group(1) in listed.output
    shown = CliRunner().invoke(cli, ["drills", "show", key.group(1), "--json"])
    assert json.loads(shown.output)["key"] == key.group(1)
    missing = CliRunner().invoke(cli, ["drills", "show", "nope"])
    assert missing.exit_code == 1 and "no drill 'nope'" in missing.output
    bad = CliRunner().invoke(cli, ["drill", "no-such-scenario"])
    assert bad.exit_code == 1 and "shipped: data-breach-en" in bad.output
    scenarios = CliRunner().invoke(cli, ["drills", "scenarios"])
    assert "product-safety-zh" in scenarios.output and "service-outage-en" in scenarios.output


def test_slack_buttons_on_drill_alerts_act_on_the_drill_database(
        drill: RunDrill, example: LoadedConfig) -> None:
    """The service's button handler routes ``ID@KEY`` to the running drill, never to real
    incident ID."""
    from monitor.alerting.slack_actions import ActionError, make_on_action
    from monitor.service.slack import drill_targets, incident_lifecycle_actions

    main = build_app(example)
    on_action = make_on_action(sessions=main.sessions,
                               actions=incident_lifecycle_actions(main.incidents),
                               clock=main.pipeline.clock, drills=drill_targets(main))
    replies: list[str] = []

    def press(app: App) -> None:
        key = app.incidents.drill_key
        if not replies and rows(str(app.engine.url), Incident):
            replies.append(on_action("acknowledge", f"1@{key}", "U9"))

    scenario = load_scenario(shipped_scenarios()["executive-rumour-zh"])
    try:
        report = drill(scenario, on_step=press)
        assert replies == [f"Incident 1@{report.key} acknowledged by slack:U9."]
        assert report.incidents[0].acknowledged_by == "slack:U9"
        with pytest.raises(ActionError, match="is not running any more"):
            on_action("resolve", f"1@{report.key}", "U9")
    finally:
        main.close()


def test_a_drill_that_fails_is_not_left_running(drill: RunDrill, tmp_path: Path) -> None:
    scenario = load_scenario(shipped_scenarios()["service-outage-en"])

    def broken(app: App) -> None:
        raise RuntimeError("responder script crashed")

    with pytest.raises(RuntimeError, match="responder script crashed"):
        drill(scenario, on_step=broken)
    main = sqlite_url((tmp_path / "crisiswatch-data" / "crisiswatch.sqlite").resolve())
    for where in (sqlite_url(tmp_path / f"{scenario.id}.sqlite"), main):
        (run,) = rows(where, DrillRun)
        assert run.state == "failed" and run.finished_at is not None


def test_sla_clocks_follow_the_grade_at_the_moment_and_restart_when_it_rises() -> None:
    from monitor.drills.report import IncidentOutcome, _clock

    steps = [(0.0, "low"), (600.0, "medium"), (1500.0, "critical"), (1800.0, "high")]
    assert _clock(steps, 300) == (0.0, "low")
    assert _clock(steps, 1600) == (1500.0, "critical")
    assert _clock(steps, 2000) == (1500.0, "high")  # a fall does not restart the clock

    def outcome(**kwargs: object) -> IncidentOutcome:
        base: dict[str, object] = dict(
            id=1, entity="e", title="t", category=None, peak_grade="critical", state="open",
            opened_s=0.0, grades={}, acknowledged_s=None, acknowledged_by=None, resolved_s=None,
            resolved_by=None, ack_target_s=300.0, response_target_s=3600.0,
            ack_clock_s=1500.0, ack_grade="critical", ended_s=5400.0)
        return IncidentOutcome(**(base | kwargs))  # type: ignore[arg-type]

    assert outcome(acknowledged_s=1700.0).ack_met is True  # 200 s after rising to critical
    assert outcome(acknowledged_s=1900.0).ack_met is False
    assert outcome().ack_met is False  # never acknowledged, deadline long past
    assert outcome(ended_s=1600.0).ack_met is None  # the drill ended before it was due
    assert outcome(ack_target_s=None).ack_met is None  # no playbook, no target
