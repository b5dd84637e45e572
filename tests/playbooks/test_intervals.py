"""Alertmanager-style time intervals: matching each field, and when a muted channel may send
again (across a night, a weekend, a month's end and a daylight-saving change)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from playbooks.intervals import IntervalEntry, TimeInterval, muted_until, muting

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHTS = TimeInterval(
    "nights",
    (
        IntervalEntry(zone=SHANGHAI, times=((time(22), time.max),)),
        IntervalEntry(zone=SHANGHAI, times=((time(0), time(8)),)),
    ),
)
WEEKENDS = TimeInterval("weekends", (IntervalEntry(zone=SHANGHAI, weekdays=((5, 6),)),))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_entries_match_every_field_they_set() -> None:
    entry = IntervalEntry(
        zone=ZoneInfo("UTC"),
        times=((time(9), time(17)),),
        weekdays=((0, 4),),
        days_of_month=((-7, -1),),
        months=((12, 12),),
        years=((2026, 2026),),
    )
    assert entry.matches(at("2026-12-28T09:00:00+00:00"))  # a Monday in the last week
    assert not entry.matches(at("2026-12-28T17:00:00+00:00"))  # the end is not included
    assert not entry.matches(at("2026-12-21T10:00:00+00:00"))  # not in the last seven days
    assert not entry.matches(at("2026-12-26T10:00:00+00:00"))  # a Saturday
    assert not entry.matches(at("2027-12-27T10:00:00+00:00"))  # another year


def test_a_muted_channel_may_send_when_the_night_ends() -> None:
    late = at("2026-11-18T23:30:00+08:00")
    assert muting(at=late, mute=[NIGHTS], active=[]) == ("nights",)
    assert muted_until(at=late, mute=[NIGHTS], active=[]) == at("2026-11-19T08:00:00+08:00")
    assert muted_until(at=at("2026-11-19T12:00:00+08:00"), mute=[NIGHTS], active=[]) is None


def test_overlapping_mutes_hold_until_both_have_ended() -> None:
    saturday_night = at("2026-11-21T23:00:00+08:00")
    until = muted_until(at=saturday_night, mute=[NIGHTS, WEEKENDS], active=[])
    assert until == at("2026-11-23T08:00:00+08:00")  # Monday morning


def test_active_intervals_hold_outside_them_and_mutes_win() -> None:
    office = TimeInterval(
        "office", (IntervalEntry(zone=SHANGHAI, times=((time(9), time(18)),), weekdays=((0, 4),)),)
    )
    friday_evening = at("2026-11-20T19:00:00+08:00")
    assert muting(at=friday_evening, mute=[], active=[office]) == ("office",)
    assert muted_until(at=friday_evening, mute=[], active=[office]) == at(
        "2026-11-23T09:00:00+08:00"
    )
    lunch = TimeInterval("lunch", (IntervalEntry(zone=SHANGHAI, times=((time(12), time(13)),)),))
    noon = at("2026-11-23T12:10:00+08:00")
    assert muting(at=noon, mute=[lunch], active=[office]) == ("lunch",)
    assert muted_until(at=noon, mute=[lunch], active=[office]) == at("2026-11-23T13:00:00+08:00")


def test_wall_clock_times_hold_across_a_daylight_saving_change() -> None:
    london = ZoneInfo("Europe/London")
    nights = TimeInterval("nights", (IntervalEntry(zone=london, times=((time(0), time(7)),)),))
    # the night clocks go forward (01:00 GMT -> 02:00 BST): the mute ends at 07:00 BST
    until = muted_until(at=at("2026-03-29T00:30:00+00:00"), mute=[nights], active=[])
    assert until == datetime(2026, 3, 29, 7, 0, tzinfo=london)
    assert until == at("2026-03-29T06:00:00+00:00")


def test_a_year_long_mute_is_an_error() -> None:
    always = TimeInterval("always", (IntervalEntry(zone=SHANGHAI),))
    with pytest.raises(ValueError, match="muted for over a year"):
        muted_until(at=at("2026-11-18T10:00:00+00:00"), mute=[always], active=[])
