"""The rotation: handoffs at wall-clock times in the schedule's zone (across daylight-saving
changes and zones), restrictions and holidays, the last layer on top, overrides and swaps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from config.people import Schedule
from monitor.oncall.rotation import (
    NEXT_HORIZON,
    Override,
    Rota,
    Swap,
    on_call_now,
    shifts,
)

LONDON = ZoneInfo("Europe/London")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _rota(*layers: dict[str, Any], zone: str = "Asia/Shanghai", **extra: Any) -> Rota:
    schedule = Schedule.model_validate({"id": "s", "layers": list(layers), **extra})
    return Rota.of(schedule, zone=zone)


def _who(rota: Rota, at: datetime, **changes: Any) -> str | None:
    current = on_call_now(rota, at=at, **changes).current
    return None if current is None else current.person


def test_weekly_turns_follow_the_members_in_order_and_hand_off_at_the_time() -> None:
    rota = _rota({"start": "2026-11-02", "members": ["a", "b", "c"], "handoff": "09:00"})
    monday = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
    assert _who(rota, monday - timedelta(minutes=1)) is None  # before the first turn
    assert [_who(rota, monday + timedelta(weeks=w)) for w in range(5)] == list("abcab")
    assert _who(rota, monday + timedelta(weeks=1, minutes=-1)) == "a"
    now = on_call_now(rota, at=monday + timedelta(days=3))
    assert now.current is not None and now.next is not None
    assert (now.current.start, now.current.end) == (monday, monday + timedelta(weeks=1))
    assert (now.next.person, now.next.start) == ("b", monday + timedelta(weeks=1))


def test_a_first_turn_starting_mid_week_lasts_until_the_handoff_day() -> None:
    rota = _rota({"start": "2026-11-04", "members": ["a", "b"], "handoff_day": "mon"})
    found = shifts(
        rota,
        start=datetime(2026, 11, 4, 12, tzinfo=SHANGHAI),
        end=datetime(2026, 11, 20, tzinfo=SHANGHAI),
    )
    assert [(s.person, s.start.astimezone(SHANGHAI).date()) for s in found] == [
        ("a", date(2026, 11, 4)),
        ("b", date(2026, 11, 9)),
        ("a", date(2026, 11, 16)),
    ]


def test_daily_turns() -> None:
    rota = _rota({"rotation": "daily", "handoff": "08:30", "start": "2026-11-01",
                  "members": ["a", "b", "c"]})  # fmt: skip
    at = datetime(2026, 11, 10, 8, 29, tzinfo=SHANGHAI)  # turn 8 started on the 9th
    assert _who(rota, at) == "c" and _who(rota, at + timedelta(minutes=1)) == "a"


def test_a_restricted_layer_is_on_top_in_its_hours_and_off_on_holidays() -> None:
    rota = _rota(
        {"name": "nights", "start": "2026-11-02", "members": ["night"]},
        {
            "name": "days",
            "start": "2026-11-02",
            "members": ["day"],
            "restrictions": [
                {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"}
            ],
        },  # fmt: skip
        holidays=["2026-11-11"],
    )
    tuesday = datetime(2026, 11, 10, tzinfo=SHANGHAI)
    assert _who(rota, tuesday.replace(hour=8, minute=59)) == "night"
    assert _who(rota, tuesday.replace(hour=9)) == "day"
    assert _who(rota, tuesday.replace(hour=17, minute=59)) == "day"
    assert _who(rota, tuesday.replace(hour=18)) == "night"
    assert _who(rota, tuesday.replace(day=11, hour=12)) == "night"  # the holiday
    assert _who(rota, tuesday.replace(day=14, hour=12)) == "night"  # Saturday
    day = on_call_now(rota, at=tuesday.replace(hour=12)).current
    assert day is not None and day.layer == "days"
    assert (day.start, day.end) == (tuesday.replace(hour=9), tuesday.replace(hour=18))


def test_organisation_holidays_count_and_a_restricted_only_schedule_can_be_empty() -> None:
    schedule = Schedule.model_validate(
        {"id": "s", "layers": [{"start": "2026-11-02", "members": ["day"],
                                "restrictions": [{"from": "09:00", "to": "18:00"}]}]}
    )  # fmt: skip
    rota = Rota.of(schedule, zone="Asia/Shanghai", holidays=[date(2026, 11, 12)])
    noon = datetime(2026, 11, 12, 12, tzinfo=SHANGHAI)
    now = on_call_now(rota, at=noon)
    assert now.current is None
    assert now.next is not None and now.next.start == datetime(2026, 11, 13, 9, tzinfo=SHANGHAI)
    assert _who(rota, noon + timedelta(days=1)) == "day"


def test_a_weekly_0900_handoff_stays_0900_in_london_across_both_dst_changes() -> None:
    rota = _rota({"start": "2026-10-19", "members": ["a", "b"], "handoff": "09:00"},
                 timezone="Europe/London")  # fmt: skip
    # clocks go back on Sunday 2026-10-25 and forward on Sunday 2027-03-28
    for monday, hours in ((date(2026, 10, 19), 169), (date(2027, 3, 22), 167)):
        start = datetime(monday.year, monday.month, monday.day, 12, tzinfo=LONDON)
        shift = on_call_now(rota, at=start).current
        assert shift is not None
        begin, end = shift.start.astimezone(LONDON), shift.end.astimezone(LONDON)
        assert (begin.hour, begin.minute, end.hour, end.minute) == (9, 0, 9, 0)
        assert shift.end - shift.start == timedelta(hours=hours)
    # in UTC the handoff moves: 08:00 in summer time, 09:00 in winter
    summer = on_call_now(rota, at=datetime(2026, 10, 20, tzinfo=UTC)).current
    winter = on_call_now(rota, at=datetime(2026, 10, 27, tzinfo=UTC)).current
    assert summer is not None and winter is not None
    assert summer.start == datetime(2026, 10, 19, 8, tzinfo=UTC)
    assert winter.start == datetime(2026, 10, 26, 9, tzinfo=UTC)


def test_daily_handoffs_in_the_skipped_and_the_repeated_hour() -> None:
    rota = _rota({"rotation": "daily", "handoff": "01:30", "start": "2027-03-26",
                  "members": ["a", "b"]}, timezone="Europe/London")  # fmt: skip
    found = shifts(
        rota,
        start=datetime(2027, 3, 27, 12, tzinfo=UTC),
        end=datetime(2027, 3, 29, 12, tzinfo=UTC),
    )
    # 01:30 does not exist on 2027-03-28: read with the offset before the change (02:30 BST)
    assert [s.start for s in found] == [
        datetime(2027, 3, 27, 1, 30, tzinfo=UTC),
        datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
        datetime(2027, 3, 29, 0, 30, tzinfo=UTC),
    ]
    autumn = shifts(
        _rota(
            {"rotation": "daily", "handoff": "01:30", "start": "2026-10-20", "members": ["a", "b"]},
            timezone="Europe/London",
        ),  # fmt: skip
        start=datetime(2026, 10, 25, 3, tzinfo=UTC),
        end=datetime(2026, 10, 25, 4, tzinfo=UTC),
    )
    # 01:30 happens twice on 2026-10-25: the first one (BST, 00:30 UTC)
    assert [s.start for s in autumn] == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]


def test_a_shanghai_schedule_seen_by_a_person_in_london() -> None:
    rota = _rota({"start": "2026-11-02", "members": ["li", "tom"], "handoff": "09:00"},
                 timezone="Asia/Shanghai")  # fmt: skip
    # Monday 09:00 in Shanghai is 01:00 on Monday in London in winter, 02:00 in summer
    winter = on_call_now(rota, at=datetime(2026, 11, 9, 0, 59, tzinfo=LONDON))
    assert winter.current is not None and winter.current.person == "li"
    assert winter.current.end.astimezone(LONDON) == datetime(2026, 11, 9, 1, tzinfo=LONDON)
    assert _who(rota, datetime(2026, 11, 9, 1, 0, tzinfo=LONDON)) == "tom"
    summer_handoff = datetime(2027, 4, 5, 9, tzinfo=SHANGHAI)
    assert summer_handoff.astimezone(LONDON).hour == 2
    before = summer_handoff.astimezone(LONDON) - timedelta(minutes=1)
    assert _who(rota, before) != _who(rota, summer_handoff.astimezone(LONDON))
    # the same layer in London's zone hands off at 09:00 London time instead
    london = _rota({"start": "2026-11-02", "members": ["li", "tom"], "handoff": "09:00"},
                   timezone="Europe/London")  # fmt: skip
    at = datetime(2026, 11, 9, 5, tzinfo=LONDON)
    assert (_who(rota, at), _who(london, at)) == ("tom", "li")


def test_the_organisation_zone_is_used_when_the_schedule_names_none() -> None:
    schedule = Schedule.model_validate(
        {"id": "s", "layers": [{"start": "2026-11-02", "members": ["a", "b"]}]}
    )
    at = datetime(2026, 11, 9, 5, tzinfo=UTC)  # 13:00 in Shanghai, 05:00 in London
    shanghai = on_call_now(Rota.of(schedule, zone="Asia/Shanghai"), at=at).current
    london = on_call_now(Rota.of(schedule, zone="Europe/London"), at=at).current
    assert shanghai is not None and london is not None
    assert (shanghai.person, london.person) == ("b", "a")


def test_an_override_cuts_the_shifts_it_covers_and_wins() -> None:
    rota = _rota({"start": "2026-11-02", "members": ["a", "b"]})
    start = datetime(2026, 11, 5, 20, tzinfo=SHANGHAI)
    over = Override(7, "x", start, start + timedelta(hours=4))
    found = shifts(rota, start=start - timedelta(days=1), end=start + timedelta(days=1),
                   overrides=[over])  # fmt: skip
    assert [(s.person, s.source, s.ref) for s in found] == [
        ("a", "rotation", None), ("x", "override", 7), ("a", "rotation", None),
    ]  # fmt: skip
    assert found[0].end == start and found[2].start == over.end
    now = on_call_now(rota, at=start + timedelta(hours=1), overrides=[over])
    assert now.current is not None and now.current.person == "x"
    assert now.next is not None and (now.next.person, now.next.start) == ("a", over.end)
    # an override far longer than a week is one whole shift
    long = Override(8, "x", start, start + timedelta(days=30))
    whole = on_call_now(rota, at=start + timedelta(days=15), overrides=[long]).current
    assert whole is not None and (whole.start, whole.end) == (long.start, long.end)


def test_a_swap_gives_exactly_the_shift_starting_at_its_time() -> None:
    rota = _rota({"rotation": "daily", "start": "2026-11-02", "members": ["a", "b"]})
    shift_start = datetime(2026, 11, 4, 9, tzinfo=SHANGHAI)  # a's turn (index 2)
    swap = Swap(3, "a", "c", shift_start)
    found = shifts(rota, start=shift_start - timedelta(days=1), end=shift_start + timedelta(days=2),
                   swaps=[swap])  # fmt: skip
    assert [(s.person, s.source, s.replaces) for s in found] == [
        ("b", "rotation", None), ("c", "swap", "a"), ("b", "rotation", None),
    ]  # fmt: skip
    # a swap naming another person or another start changes nothing
    for other in (Swap(4, "b", "c", shift_start), Swap(5, "a", "c", shift_start.replace(hour=10))):
        assert _who(rota, shift_start, swaps=[other]) == "a"


def test_shifts_are_whole_and_never_longer_than_a_turn() -> None:
    rota = _rota({"start": "2026-01-05", "members": ["only"]})
    at = datetime(2026, 11, 18, 3, tzinfo=UTC)
    found = shifts(rota, start=at, end=at + NEXT_HORIZON)
    assert found[0].start <= at < found[0].end
    assert all(s.end - s.start == timedelta(weeks=1) for s in found)
    assert all(a.end == b.start for a, b in zip(found, found[1:], strict=False))


def test_naive_times_are_refused() -> None:
    rota = _rota({"start": "2026-11-02", "members": ["a"]})
    with pytest.raises(ValueError, match="naive"):
        on_call_now(rota, at=datetime(2026, 11, 5, 12))


def test_a_handoff_at_2400_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="handoff must be a time within the day"):
        Schedule.model_validate(
            {"id": "s", "layers": [{"start": "2026-11-02", "members": ["a"], "handoff": "24:00"}]}
        )
