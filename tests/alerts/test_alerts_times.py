"""The one time format of every human-facing output: organisation zone, zone shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from alerts.times import format_time, zone_label


def test_a_time_is_shown_in_the_given_zone_with_its_offset() -> None:
    moment = datetime(2026, 11, 18, 10, 15, 42, tzinfo=UTC)
    assert format_time(moment, "Asia/Shanghai") == "2026-11-18 18:15 UTC+8"
    assert format_time(moment, "Asia/Kolkata", seconds=True) == "2026-11-18 15:45:42 UTC+5:30"
    assert format_time(moment, "America/New_York") == "2026-11-18 05:15 UTC-5"
    assert format_time(moment) == "2026-11-18 10:15 UTC"


def test_daylight_saving_time_changes_the_offset_shown() -> None:
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert format_time(summer, "Europe/Berlin") == "2026-07-01 14:00 UTC+2"
    assert format_time(summer.replace(month=1), "Europe/Berlin") == "2026-01-01 13:00 UTC+1"


def test_naive_moments_are_utc_and_tzinfo_objects_are_accepted() -> None:
    naive = datetime(2026, 11, 18, 10, 15)
    assert format_time(naive, "Asia/Shanghai") == "2026-11-18 18:15 UTC+8"
    assert format_time(naive, timezone(timedelta(hours=-3, minutes=-30))) == (
        "2026-11-18 06:45 UTC-3:30"
    )
    assert zone_label(None) == "UTC"


def test_iso_text_from_json_views_is_accepted() -> None:
    assert format_time("2026-11-18T10:15:00+00:00", "Asia/Shanghai") == "2026-11-18 18:15 UTC+8"
