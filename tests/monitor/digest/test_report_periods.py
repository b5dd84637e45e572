"""Report periods by kind: day, ISO week, month, quarter and year, each against the one before."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from monitor.digest.period import (
    PeriodError,
    last_full,
    period_at,
    period_of,
    resolve_period,
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    "kind,label,first,end,previous",
    [
        ("day", "2026-03-01", date(2026, 3, 1), date(2026, 3, 2), "2026-02-28"),
        ("week", "2026-W09", date(2026, 2, 23), date(2026, 3, 2), "2026-W08"),
        ("month", "2026-03", date(2026, 3, 1), date(2026, 4, 1), "2026-02"),
        ("quarter", "2026-Q1", date(2026, 1, 1), date(2026, 4, 1), "2025-Q4"),
        ("year", "2026", date(2026, 1, 1), date(2027, 1, 1), "2025"),
    ],
)
def test_period_of_each_kind_and_its_previous(
    kind: str, label: str, first: date, end: date, previous: str
) -> None:
    p = period_of(kind=kind, day=date(2026, 3, 1), tz="Asia/Shanghai")
    assert (p.kind, p.label, p.first, p.end) == (kind, label, first, end)
    before = p.previous()
    assert before.kind == kind and before.label == previous and before.end == p.first


def test_month_is_compared_with_the_previous_month_whatever_its_length() -> None:
    march = period_of(kind="month", day=date(2026, 3, 31), tz="UTC")
    assert march.days == 31 and march.previous().days == 28  # February, not 31 days back
    q3 = period_at(kind="quarter", at="2026-Q3", tz="UTC")
    assert (q3.first, q3.last, q3.previous().label) == (
        date(2026, 7, 1),
        date(2026, 9, 30),
        "2026-Q2",
    )
    assert period_of(kind="month", day=date(2026, 1, 15), tz="UTC").previous().label == "2025-12"


def test_dst_months_and_days_are_whole_local_days() -> None:
    # Europe/Berlin springs forward on 2026-03-29 and falls back on 2026-10-25.
    march = period_of(kind="month", day=date(2026, 3, 10), tz="Europe/Berlin")
    assert march.end_at - march.start_at == timedelta(days=31) - timedelta(hours=1)
    assert march.start_at == utc(2026, 2, 28, 23) and march.end_at == utc(2026, 3, 31, 22)
    short = period_of(kind="day", day=date(2026, 3, 29), tz="Europe/Berlin")
    long = period_of(kind="day", day=date(2026, 10, 25), tz="Europe/Berlin")
    assert short.end_at - short.start_at == timedelta(hours=23)
    assert long.end_at - long.start_at == timedelta(hours=25)
    q1 = period_of(kind="quarter", day=date(2026, 2, 1), tz="Europe/Berlin")
    assert q1.day_bounds()[-1] == q1.end_at == utc(2026, 3, 31, 22)
    assert len(q1.day_bounds()) == q1.days + 1 == 91


def test_last_full_period_follows_the_local_calendar() -> None:
    # 2026-03-31 16:30 UTC is already 1 April 00:30 in Shanghai: March has just ended.
    now = utc(2026, 3, 31, 16, 30)
    assert last_full(kind="day", now=now, tz="Asia/Shanghai").label == "2026-03-31"
    assert last_full(kind="month", now=now, tz="Asia/Shanghai").label == "2026-03"
    assert last_full(kind="quarter", now=now, tz="Asia/Shanghai").label == "2026-Q1"
    assert last_full(kind="month", now=now, tz="UTC").label == "2026-02"
    assert last_full(kind="year", now=now, tz="UTC").label == "2025"
    with pytest.raises(PeriodError, match="aware"):
        last_full(kind="day", now=datetime(2026, 3, 1), tz="UTC")


@pytest.mark.parametrize(
    "kind,at,label",
    [
        ("day", "2026-11-16", "2026-11-16"),
        ("week", "2026-11-18", "2026-W47"),
        ("week", "2026-W47", "2026-W47"),
        ("month", "2026-11", "2026-11"),
        ("month", "2026-11-30", "2026-11"),
        ("quarter", "2026-Q4", "2026-Q4"),
        ("quarter", "2026q4", "2026-Q4"),
        ("quarter", "2026-11-30", "2026-Q4"),
        ("year", "2026", "2026"),
        ("year", "2026-06-01", "2026"),
    ],
)
def test_period_at_takes_a_day_inside_or_the_label(kind: str, at: str, label: str) -> None:
    assert period_at(kind=kind, at=at, tz="UTC").label == label


@pytest.mark.parametrize(
    "kind,at,message",
    [
        ("month", "2026-13", "--at: expected a day like 2026-11-16 or the month's name"),
        ("quarter", "2026-Q5", "--at: expected a day like 2026-11-16 or the quarter's name"),
        ("day", "yesterday", "--at: expected a day like 2026-11-16 or the day's name"),
        ("fortnight", "2026-11-16", "--period: unknown period 'fortnight'"),
    ],
)
def test_period_at_rejects_bad_values(kind: str, at: str, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        period_at(kind=kind, at=at, tz="UTC")


def test_resolve_period_with_period_and_at() -> None:
    now = utc(2026, 12, 7, 3)
    assert resolve_period(now=now, tz="UTC", kind="day").label == "2026-12-06"
    assert resolve_period(now=now, tz="UTC", kind="month", at="2026-10").label == "2026-10"
    assert resolve_period(now=now, tz="UTC").label == "2026-W49"
    with pytest.raises(PeriodError, match="give either --period or --week, not both"):
        resolve_period(now=now, tz="UTC", kind="week", week="2026-W47")
    with pytest.raises(PeriodError, match="--at goes with --period"):
        resolve_period(now=now, tz="UTC", at="2026-10-01")
