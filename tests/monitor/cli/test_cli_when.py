"""``--since``/``--until`` read a time the way the commands print it: in the organisation's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.times import format_time
from monitor.cli.common import UserError, parse_when

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
SHANGHAI = "Asia/Shanghai"


def when(value: str, *, ahead: bool = False) -> datetime:
    return parse_when(value, now=NOW, zone=SHANGHAI, option="since", ahead=ahead)


def test_a_time_without_a_zone_is_in_the_organisations_zone() -> None:
    assert when("2026-11-18T18:00") == datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    assert when("2026-11-18") == datetime(2026, 11, 17, 16, 0, tzinfo=UTC)


def test_a_printed_time_reads_back_as_the_same_moment() -> None:
    moment = datetime(2026, 11, 18, 10, 15, tzinfo=UTC)
    assert when(format_time(moment, SHANGHAI)) == moment
    assert when("2026-11-18 05:45 UTC-4:30") == moment
    assert when("2026-11-18 10:15 UTC") == moment
    assert when("2026-11-18T10:15+00:00") == moment


def test_durations_count_back_or_ahead() -> None:
    assert when("24h") == NOW - timedelta(hours=24)
    assert when("4h", ahead=True) == NOW + timedelta(hours=4)


def test_anything_else_is_one_clear_error() -> None:
    with pytest.raises(UserError, match=r"^error: --since: expected a duration like 24h"):
        when("yesterday-ish")
