"""Working hours: open or not, next opening, deadlines and elapsed working time, across
weekends, holidays, daylight-saving changes and zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbooks.hours import Window, WorkingHours

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
WEEKDAYS = frozenset(range(5))


def _hours(zone: ZoneInfo = SHANGHAI, holidays: frozenset[date] = frozenset()) -> WorkingHours:
    return WorkingHours(
        zone=zone, windows=(Window(WEEKDAYS, time(9), time(18)),), holidays=holidays
    )


def _at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def test_open_and_next_open_around_a_weekend() -> None:
    hours = _hours()
    friday_noon = _at(SHANGHAI, 2026, 12, 4, 12)
    assert hours.is_open(friday_noon)
    assert hours.next_open(friday_noon) == friday_noon
    friday_night = _at(SHANGHAI, 2026, 12, 4, 20)
    assert not hours.is_open(friday_night)
    assert hours.next_open(friday_night) == _at(SHANGHAI, 2026, 12, 7, 9)
    assert not hours.is_open(_at(SHANGHAI, 2026, 12, 4, 18))  # the end is not inside


def test_deadline_counts_working_time_only() -> None:
    hours = _hours()
    # 2 working hours from Friday 17:00: one hour Friday, one hour Monday from 09:00
    assert hours.add(_at(SHANGHAI, 2026, 12, 4, 17), timedelta(hours=2)) == _at(
        SHANGHAI, 2026, 12, 7, 10
    )
    # from Saturday: starts counting Monday 09:00
    assert hours.add(_at(SHANGHAI, 2026, 12, 5, 3), timedelta(hours=24)) == _at(
        SHANGHAI, 2026, 12, 9, 15
    )


def test_holidays_have_no_working_time() -> None:
    hours = _hours(holidays=frozenset({date(2026, 12, 7)}))
    assert not hours.is_open(_at(SHANGHAI, 2026, 12, 7, 10))
    assert hours.next_open(_at(SHANGHAI, 2026, 12, 5, 10)) == _at(SHANGHAI, 2026, 12, 8, 9)


def test_between_is_the_working_time_elapsed() -> None:
    hours = _hours()
    start, end = _at(SHANGHAI, 2026, 12, 4, 17), _at(SHANGHAI, 2026, 12, 7, 10, 30)
    assert hours.between(start, end) == timedelta(hours=2, minutes=30)
    assert hours.between(end, start) == timedelta(0)


def test_daylight_saving_keeps_local_hours() -> None:
    hours = WorkingHours(zone=LONDON, windows=(Window(frozenset(range(7)), time(0), time.max),))
    # 29 March 2026: clocks go forward, the day has 23 hours
    day = _at(LONDON, 2026, 3, 29, 0)
    assert hours.between(day, _at(LONDON, 2026, 3, 30, 0)) == timedelta(hours=23)
    office = WorkingHours(zone=LONDON, windows=(Window(WEEKDAYS, time(9), time(18)),))
    # 09:00 local is 09:00 UTC before the change and 08:00 UTC after
    assert office.next_open(datetime(2026, 3, 27, 20, tzinfo=UTC)) == datetime(
        2026, 3, 30, 8, tzinfo=UTC
    )
    assert office.next_open(datetime(2026, 3, 26, 20, tzinfo=UTC)) == datetime(
        2026, 3, 27, 9, tzinfo=UTC
    )


def test_zones_are_compared_as_instants() -> None:
    # 09:00 in Shanghai is 01:00 in London (winter): open for Shanghai, not for London
    moment = _at(LONDON, 2026, 12, 7, 1, 30)
    assert _hours(SHANGHAI).is_open(moment)
    assert not _hours(LONDON).is_open(moment)


def test_a_calendar_with_no_working_time_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one window"):
        WorkingHours(zone=SHANGHAI, windows=(Window(frozenset(), time(9), time(18)),))
    every_day = frozenset(date(2026, 1, 1) + timedelta(days=n) for n in range(800))
    with pytest.raises(ValueError, match="no working time within a year"):
        _hours(holidays=every_day).next_open(_at(SHANGHAI, 2026, 1, 1))


@settings(max_examples=150, deadline=None, database=None)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 30),
)
def test_add_and_between_agree(start: datetime, minutes: int) -> None:
    hours = _hours(LONDON)
    deadline = hours.add(start, timedelta(minutes=minutes))
    assert deadline >= start
    assert hours.between(start, deadline) == timedelta(minutes=minutes)
