"""``crisiswatch oncall``: who is on call on the example organisation's schedules, overrides,
swaps and the iCalendar export, with a fixed clock (Monday 2026-12-07 12:00 in Shanghai)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import pytest
from click.testing import Result

NOW = datetime(2026, 12, 7, 4, tzinfo=UTC)


@pytest.fixture()
def cw(
    crisiswatch: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    monkeypatch.setattr("monitor.app.utcnow", lambda: NOW)
    assert crisiswatch("init", ".").exit_code == 0
    return crisiswatch


def test_who_is_on_call_now_and_at_a_time(cw: Callable[..., Result]) -> None:
    done = cw("oncall")
    assert done.exit_code == 0, done.output
    assert done.output.splitlines() == [
        "risk-primary: 张敏 (zhang.min) until 2026-12-07 18:00 UTC+8 (weekday hours); "
        "next: 王伟 (wang.wei) from 2026-12-07 18:00 UTC+8",
        "risk-secondary: Tom Clarke (tom.clarke) until 2026-12-14 09:00 UTC+8 (all week; "
        "2026-12-14 01:00 UTC in Europe/London); "
        "next: 张敏 (zhang.min) from 2026-12-14 09:00 UTC+8",
    ]
    night = cw("oncall", "--schedule", "risk-primary", "--at", "2026-12-07 20:00", "--json")
    [view] = json.loads(night.output)
    assert view["on_call"] == [{"id": "wang.wei", "name": "王伟"}]
    assert view["shift"]["from"] == "2026-12-07T10:00:00+00:00"
    assert view["shift"]["until"] == "2026-12-08T01:00:00+00:00"
    assert view["next"]["person"] == "zhang.min" and view["reason"] is None
    ahead = cw("oncall", "--schedule", "risk-primary", "--at", "8h")
    assert "王伟 (wang.wei) until 2026-12-08 09:00 UTC+8 (off hours)" in ahead.output


def test_bad_input_is_one_line_and_exit_1(cw: Callable[..., Result]) -> None:
    for args, message in [
        (
            ("oncall", "--schedule", "risk-primry"),
            "error: unknown schedule 'risk-primry' (did you mean 'risk-primary'?)",
        ),  # noqa: E501
        (("oncall", "--at", "tomorrowish"), "error: --at: expected a duration like 4h"),
        (
            (
                "oncall",
                "override",
                "--schedule",
                "risk-primary",
                "--person",
                "li.na",
                "--to",
                "2h",
                "--by",
                "somebody",
            ),
            "error: --by: unknown person 'somebody'",
        ),  # fmt: skip
        (("oncall", "remove-swap", "9"), "error: no swap #9 (see crisiswatch oncall swaps)"),
    ]:
        done = cw(*args)
        assert done.exit_code == 1, done.output
        assert done.output.startswith(message) and done.output.count("\n") == 1, done.output


def test_overrides_and_swaps_from_the_command_line(cw: Callable[..., Result]) -> None:
    override = ("oncall", "override", "--schedule", "risk-primary", "--by", "tom.clarke")
    done = cw(*override, "--person", "li.na", "--from", "2026-12-07 13:00", "--to", "2h",
              "--reason", "zhang.min at the dentist")  # fmt: skip
    assert done.output == (
        "override #1: li.na on call for risk-primary from 2026-12-07 13:00 UTC+8 to "
        "2026-12-07 15:00 UTC+8\n"
    )
    clash = cw(*override, "--person", "wang.wei", "--from", "2026-12-07 14:00", "--to", "1h")
    assert clash.exit_code == 1 and clash.output.startswith("error: overlaps override #1 of")
    listed = cw("oncall", "overrides").output.splitlines()
    assert listed[0].split() == ["id", "schedule", "person", "from", "to", "by", "reason"]
    assert "li.na" in listed[1] and "tom.clarke, 2026-12-07 12:00 UTC+8" in listed[1]
    now = cw("oncall", "--schedule", "risk-primary", "--at", "2026-12-07 14:00").output
    assert now.startswith("risk-primary: 李娜 (li.na) [override #1] until 2026-12-07 15:00 UTC+8;")

    swap = cw(
        *("oncall", "swap", "--schedule", "risk-primary", "--person", "zhang.min"),
        *("--with", "wang.wei", "--shift", "2026-12-08 09:00 UTC+8", "--by", "zhang.min"),
    )
    assert swap.output == (
        "swap #1: wang.wei takes zhang.min's risk-primary shift starting 2026-12-08 09:00 UTC+8\n"
    )
    tuesday = cw("oncall", "--schedule", "risk-primary", "--at", "2026-12-08 10:00").output
    assert "王伟 (wang.wei) [swap #1, instead of zhang.min] until 2026-12-08 18:00 UTC+8" in tuesday
    assert json.loads(cw("oncall", "swaps", "--json").output)[0]["with"] == "wang.wei"
    assert cw("oncall", "remove-swap", "1").output == "swap #1 removed\n"
    assert cw("oncall", "remove-override", "1").output == "override #1 removed\n"
    assert cw("oncall", "overrides").output == "no overrides\n"
    assert cw("oncall", "swaps").output == "no swaps\n"


def test_export_writes_an_icalendar_file_of_the_coming_weeks(
    cw: Callable[..., Result], tmp_path: Path
) -> None:
    cw("oncall", "override", "--schedule", "risk-primary", "--person", "li.na", "--by", "li.na",
       "--from", "2026-12-12 10:00", "--to", "6h")  # fmt: skip
    done = cw("oncall", "export", "risk-primary", "--weeks", "2", "-o", "primary.ics")
    assert done.exit_code == 0, done.output
    # 2026-12-07 12:00 to 12-21 12:00: 11 weekday-hours shifts (Mon to Fri twice, and the
    # third Monday's from 09:00), 8 evenings, 2 weekends (the first cut in two by the Saturday
    # override) and the override
    assert done.output == "wrote primary.ics: 23 shifts of risk-primary over 2 weeks\n"
    events = list(
        icalendar.Calendar.from_ical((tmp_path / "primary.ics").read_bytes()).walk("VEVENT")
    )  # noqa: E501
    assert len(events) == 23
    starts = [e.decoded("DTSTART") for e in events]
    assert starts == sorted(starts) and all(s.tzinfo is not None for s in starts)
    assert all(
        a.decoded("DTEND") == b.decoded("DTSTART") for a, b in zip(events, events[1:], strict=False)
    )
    assert str(events[0]["SUMMARY"]) == "On call: 张敏 (Risk primary)"
    assert [str(e["DESCRIPTION"]) for e in events].count("李娜: override #1") == 1
    again = cw("oncall", "export", "risk-primary", "--weeks", "2", "-o", "-")
    assert [line for line in again.output.splitlines() if line.startswith("UID")] == [
        f"UID:{e['UID']}" for e in events
    ]
