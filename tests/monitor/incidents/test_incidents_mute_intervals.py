"""Channels' mute time intervals: a muted channel's alert is written at once, held in the
outbox with its reason, and sent when the window ends; other channels are not held. The
configuration names an unknown interval with its file and line."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.grouping import GroupingPolicy
from alerts.registry import build_channel
from config.loader import ConfigError, load_config
from monitor.alerting.dispatch import DispatchPolicy, dispatch_once
from monitor.alerting.mute import ChannelWindows, channel_windows, holds
from monitor.config_check import check_configuration
from monitor.db.models import Alert, IncidentEvent
from monitor.incidents.testing import make_context, open_test_incident
from monitor.incidents.views import describe_event, incident_detail
from playbooks.intervals import IntervalEntry, TimeInterval

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHTS = TimeInterval(
    "nights",
    (
        IntervalEntry(zone=SHANGHAI, times=((time(22), time.max),)),
        IntervalEntry(zone=SHANGHAI, times=((time(0), time(8)),)),
    ),
)
LATE = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
MORNING = datetime(2026, 11, 19, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
POLICY = DispatchPolicy(grouping=GroupingPolicy(group_wait=timedelta(0), max_individual=1000))


def test_a_muted_channel_s_alert_is_held_until_the_window_ends_then_sent(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    ctx = make_context(
        timezone="Asia/Shanghai", channel_windows={"risk-slack": ChannelWindows(mute=(NIGHTS,))}
    )
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=LATE, grade="high")
        rows = list(s.scalars(select(Alert).where(Alert.incident_id == incident_id)))
        by_channel = {r.channel: r for r in rows}
        assert by_channel["console"].next_attempt_at == LATE
        assert by_channel["console"].last_error is None
        held = by_channel["risk-slack"]
        assert held.status == "pending" and held.next_attempt_at == MORNING
        assert held.last_error == (
            "held: muted by time interval nights until 2026-11-19 08:00 UTC+8"
        )
        detail = incident_detail(s, incident_id=incident_id, ctx=ctx, now=LATE)
    alert_line = describe_event(next(e for e in detail["timeline"] if e["kind"] == "alert"))
    assert "[risk-slack held: muted by time interval nights until" in alert_line

    out = tmp_path / "alerts.jsonl"
    sink = build_channel(name="risk-slack", kind="file", options={"path": str(out)}, environ={})
    console = build_channel(
        name="console", kind="file", options={"path": str(tmp_path / "c")}, environ={}
    )
    channels = {"risk-slack": sink, "console": console}
    for moment, expected in ((LATE + timedelta(hours=1), 0), (MORNING, 1)):
        dispatch_once(
            sessions=sessions,
            channels=channels,
            policy=POLICY,
            clock=lambda m=moment: m,
            rng=random.Random(1),
        )
        lines = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
        assert len(lines) == expected, moment
    with sessions.begin() as s:
        statuses = {a.channel: a.status for a in s.scalars(select(Alert))}
        assert statuses == {"console": "sent", "risk-slack": "sent"}
        assert s.scalars(select(IncidentEvent).where(IncidentEvent.kind == "alert")).first()


def test_only_channels_in_their_window_are_held() -> None:
    windows = {"manager-email": ChannelWindows(mute=(NIGHTS,))}
    noon = datetime(2026, 11, 18, 4, 0, tzinfo=UTC)
    assert holds(windows, ["console", "manager-email"], now=noon, zone="UTC") == {}
    late = holds(windows, ["console", "manager-email"], now=LATE, zone="Asia/Shanghai")
    assert list(late) == ["manager-email"] and late["manager-email"].until == MORNING


CONFIG = """\
version: 1
organisation: {name: X, timezone: Asia/Shanghai}
entities:
  - {id: a, name: A, kind: brand}
time_intervals:
  - name: nights
    time_intervals:
      - {times: [{start_time: '22:00', end_time: '24:00'}], location: Asia/Shanghai}
      - times: [{start_time: '00:00', end_time: '08:00'}]
        weekdays: ['monday:friday']
        location: Asia/Shanghai
channels:
  console: {kind: console}
  manager-email:
    kind: console
    mute_time_intervals: [nights, nigths]
"""


def test_check_config_names_an_unknown_interval_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_config(path)
    problems = [config.describe(f) for f in check_configuration(config, environ={})]
    assert problems == [
        f"{path}:16: channels.manager-email.mute_time_intervals[1]: unknown time interval "
        "'nigths' (did you mean 'nights'?)"
    ]
    windows = channel_windows(config.settings)
    assert [i.name for i in windows["manager-email"].mute] == ["nights"]
    from monitor.configured import check_time_intervals

    with pytest.raises(ConfigError):
        check_time_intervals(config)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("{weekdays: ['mon']}", "unknown weekday 'mon'"),
        ("{days_of_month: ['-3:5']}", "mixes signs"),
        ("{months: ['march:january']}", "ends before it starts"),
        ("{times: [{start_time: '18:00', end_time: '09:00'}]}", "must be later than"),
        ("{location: Mars/Base}", "unknown time zone 'Mars/Base'"),
    ],
)
def test_bad_interval_values_are_one_line_errors_with_the_line(
    tmp_path: Path, entry: str, problem: str
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "version: 1\norganisation: {name: X}\nentities:\n  - {id: a, name: A, kind: brand}\n"
        f"time_intervals:\n  - name: w\n    time_intervals:\n      - {entry}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (line,) = caught.value.problems
    assert "c.yaml:8: time_intervals[0].time_intervals[0]" in line and problem in line, line


def test_a_channel_muted_for_over_a_year_is_not_silenced() -> None:
    past = TimeInterval("2020", (IntervalEntry(zone=SHANGHAI, years=((2020, 2020),)),))
    windows = {"risk-slack": ChannelWindows(active=(past,))}
    assert holds(windows, ["risk-slack"], now=LATE, zone="UTC") == {}
