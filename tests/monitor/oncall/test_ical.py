"""The iCalendar export is valid RFC 5545: parsed back by the icalendar package with the same
texts and UTC times; lines folded at 75 octets without splitting a character; stable UIDs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar

from monitor.oncall.ical import calendar, escape, fold, uid
from monitor.oncall.rotation import Shift

START = datetime(2026, 12, 7, 1, tzinfo=UTC)
NAME = '李娜; "Lina", on call\\backup\nsecond line ' + "长" * 40


def _shifts() -> list[Shift]:
    return [
        Shift("li.na", START, START + timedelta(hours=9), "weekday hours"),
        Shift(
            "tom",
            START + timedelta(hours=9),
            START + timedelta(hours=24),
            "off hours",
            "swap",
            replaces="wang.wei",
            ref=2,
        ),  # fmt: skip
        Shift(
            "tom",
            START + timedelta(hours=24),
            START + timedelta(hours=26),
            "override",
            "override",
            ref=5,
        ),  # fmt: skip
    ]


def _text(now: datetime = START) -> str:
    return calendar(
        schedule_id="risk-primary",
        schedule_name="Risk primary, 一线",
        shifts=_shifts(),
        names={"li.na": NAME, "tom": "Tom Clarke"},
        now=now,
    )


def test_the_export_parses_back_with_the_same_values() -> None:
    text = _text()
    parsed = icalendar.Calendar.from_ical(text)
    assert str(parsed["VERSION"]) == "2.0" and "crisiswatch" in str(parsed["PRODID"])
    events = list(parsed.walk("VEVENT"))
    assert len(events) == 3
    first = events[0]
    assert str(first["SUMMARY"]) == f"On call: {NAME} (Risk primary, 一线)"
    assert first.decoded("DTSTART") == START
    assert first.decoded("DTEND") == START + timedelta(hours=9)
    assert str(events[1]["DESCRIPTION"]) == "Tom Clarke: off hours, swap #2 (instead of wang.wei)"
    assert str(events[2]["DESCRIPTION"]) == "Tom Clarke: override #5"
    assert len({str(e["UID"]) for e in events}) == 3
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    assert "DTSTART:20261207T010000Z\r\n" in text
    assert text.endswith("END:VCALENDAR\r\n") and "\n" not in text.replace("\r\n", "")


def test_uids_are_stable_between_exports_and_dtstamp_is_the_export_time() -> None:
    later = _text(START + timedelta(days=1))
    uids = [line for line in _text().split("\r\n") if line.startswith("UID:")]
    assert uids == [line for line in later.split("\r\n") if line.startswith("UID:")]
    assert "DTSTAMP:20261208T010000Z" in later
    assert uid("s", _shifts()[0]) == "20261207T010000Z-weekday-hours.s@crisiswatch"
    assert uid("s", _shifts()[2]) == "override-5.s@crisiswatch"


def test_escaping_and_folding() -> None:
    assert escape("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"
    folded = fold("SUMMARY:" + "长" * 30)  # 8 + 90 octets
    lines = folded.split("\r\n")
    assert [len(line.encode()) for line in lines] == [74, 25]
    assert (
        lines[1].startswith(" ") and "".join(line.lstrip(" ") for line in lines).count("长") == 30
    )
    assert fold("x" * 75) == "x" * 75
    assert fold("x" * 76) == "x" * 75 + "\r\n x"
