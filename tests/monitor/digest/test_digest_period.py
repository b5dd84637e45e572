"""Report periods: ISO weeks, custom ranges, the previous period, time-zone boundaries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from monitor.db.models import Mention, Source
from monitor.digest.figures import build_digest
from monitor.digest.period import (
    PeriodError,
    date_range,
    iso_week,
    last_full_week,
    resolve_period,
)
from monitor.digest.testing import sample_inputs


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
        second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_digest_iso_week_in_shanghai() -> None:
    p = iso_week(week="2026-W47", tz="Asia/Shanghai")
    assert (p.first, p.last, p.days) == (date(2026, 11, 16), date(2026, 11, 22), 7)
    assert p.start_at == utc(2026, 11, 15, 16) and p.end_at == utc(2026, 11, 22, 16)
    assert p.label == "2026-W47" and p.slug == "2026-W47"
    assert iso_week(week="2026w47", tz="UTC").label == "2026-W47"


def test_digest_iso_week_53_and_year_boundaries() -> None:
    p = iso_week(week="2026-W53", tz="UTC")
    assert p.first == date(2026, 12, 28) and p.end == date(2027, 1, 4)
    first = iso_week(week="2027-W01", tz="UTC")
    assert first.previous().label == "2026-W53"
    with pytest.raises(PeriodError, match="no ISO week 53"):
        iso_week(week="2025-W53", tz="UTC")


@pytest.mark.parametrize("bad", ["2026-47", "W47", "2026-W", "26-W01", "2026-W47-1", ""])
def test_digest_iso_week_rejects_bad_values(bad: str) -> None:
    with pytest.raises(PeriodError, match="--week"):
        iso_week(week=bad, tz="UTC")


def test_digest_last_full_week_depends_on_local_time() -> None:
    # Sunday 2026-11-22 15:59 UTC is still Sunday 23:59 in Shanghai: the last full week is W46.
    assert last_full_week(now=utc(2026, 11, 22, 15, 59), tz="Asia/Shanghai").label == "2026-W46"
    # One minute later it is Monday 00:00 in Shanghai: W47 has just completed.
    assert last_full_week(now=utc(2026, 11, 22, 16, 0), tz="Asia/Shanghai").label == "2026-W47"
    # ... while in UTC it is still Sunday.
    assert last_full_week(now=utc(2026, 11, 22, 16, 0), tz="UTC").label == "2026-W46"
    with pytest.raises(PeriodError, match="aware"):
        last_full_week(now=datetime(2026, 11, 22), tz="UTC")


def test_digest_from_to_and_previous_of_equal_length() -> None:
    p = date_range(first=date(2026, 11, 1), last=date(2026, 11, 10), tz="Europe/London")
    assert p.days == 10 and p.label == "2026-11-01..2026-11-10" and p.week is None
    prev = p.previous()
    assert (prev.first, prev.last, prev.days) == (date(2026, 10, 22), date(2026, 10, 31), 10)
    assert prev.end_at == p.start_at
    with pytest.raises(PeriodError, match="before"):
        date_range(first=date(2026, 11, 10), last=date(2026, 11, 1), tz="UTC")
    with pytest.raises(PeriodError, match="too long"):
        date_range(first=date(2024, 1, 1), last=date(2026, 1, 1), tz="UTC")


def test_digest_dst_week_has_local_midnights() -> None:
    # Europe/Berlin moves to summer time on Sunday 2026-03-29: that ISO week lasts 167 hours.
    p = iso_week(week="2026-W13", tz="Europe/Berlin")
    assert p.end_at - p.start_at == timedelta(hours=167)
    bounds = p.day_bounds()
    assert bounds[0] == utc(2026, 3, 22, 23) and bounds[-1] == utc(2026, 3, 29, 22)
    assert len(bounds) == 8


def test_digest_resolve_period_options() -> None:
    now = utc(2026, 11, 25, 12)
    assert resolve_period(now=now, tz="UTC").label == "2026-W47"
    assert resolve_period(now=now, tz="UTC", week="2026-W40").label == "2026-W40"
    custom = resolve_period(now=now, tz="UTC", date_from="2026-11-01", date_to="2026-11-03")
    assert custom.days == 3
    with pytest.raises(PeriodError, match="either"):
        resolve_period(now=now, tz="UTC", week="2026-W40", date_from="2026-11-01")
    with pytest.raises(PeriodError, match="together"):
        resolve_period(now=now, tz="UTC", date_from="2026-11-01")
    with pytest.raises(PeriodError, match="--to"):
        resolve_period(now=now, tz="UTC", date_from="2026-11-01", date_to="1 Nov")
    with pytest.raises(PeriodError, match="time zone"):
        resolve_period(now=now, tz="Mars/Olympus")


def _mention(mention_id: int, published: datetime) -> dict[str, object]:
    return {
        "id": mention_id, "source_id": "s", "external_id": str(mention_id),
        "published_at": published, "collected_at": published, "date_missing": False,
        "text": "Lumina Dairy", "metrics": {}, "content_hash": f"{mention_id:064x}",
        "entities": [], "sentiment": "neutral", "lang": "en",
    }


def test_digest_counts_mentions_by_local_day_at_the_boundaries(
    new_engine: Callable[[], Engine],
) -> None:
    engine = new_engine()
    boundary = utc(2026, 11, 8, 16)  # Monday 2026-11-09 00:00 in Shanghai
    with engine.begin() as conn:
        conn.execute(insert(Source), [{"id": "s", "kind": "rss", "location": "s",
                                       "created_at": boundary}])
        conn.execute(insert(Mention), [
            _mention(1, boundary - timedelta(microseconds=1)),  # Sunday, previous week
            _mention(2, boundary),  # first instant of the week
            _mention(3, boundary + timedelta(hours=23, minutes=59)),  # still Monday
            _mention(4, boundary + timedelta(hours=24)),  # Tuesday 00:00
            _mention(5, utc(2026, 11, 15, 15, 59, 59)),  # Sunday 23:59:59, last day
            _mention(6, utc(2026, 11, 15, 16)),  # next week
        ])
    period = iso_week(week="2026-W46", tz="Asia/Shanghai")
    with Session(engine) as session:
        digest = build_digest(session=session, inputs=sample_inputs(), period=period,
                              now=utc(2026, 11, 23))
    assert digest.headline.mentions.current == 4
    assert digest.headline.mentions.previous == 1
    assert [d.total for d in digest.daily] == [2, 1, 0, 0, 0, 0, 1]
