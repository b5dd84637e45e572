"""Time intervals (Alertmanager's ``time_intervals``): whether a moment is inside one, and
when a channel with mute and active intervals may next send.

A channel is muted while any of its mute intervals holds, and, when it has active intervals,
while none of them holds (mute wins where both apply, as in Alertmanager). Times of day are
wall-clock times in each entry's zone, so "22:00-24:00" stays that across a daylight-saving
change. Every datetime in and out is timezone-aware.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_SEARCH_DAYS = 400  # a channel muted for over a year is a configuration mistake

Ranges = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class IntervalEntry:
    """Moments matching every field set (an empty field matches anything), read in ``zone``.
    ``times`` are (start, end) with ``time.max`` for midnight; days of month may be negative
    (-1 is the last day); weekdays are 0 (Monday) to 6."""

    zone: ZoneInfo
    times: tuple[tuple[time, time], ...] = ()
    weekdays: Ranges = ()
    days_of_month: Ranges = ()
    months: Ranges = ()
    years: Ranges = ()

    def matches(self, at: datetime) -> bool:
        """True when ``at`` is inside this entry."""
        local = at.astimezone(self.zone)
        day = local.date()
        clock = local.time().replace(tzinfo=None)
        return (
            (not self.times or any(start <= clock < end for start, end in self.times))
            and _within(day.weekday(), self.weekdays)
            and _within_month_day(day, self.days_of_month)
            and _within(day.month, self.months)
            and _within(day.year, self.years)
        )

    def boundaries(self, day: date) -> Iterator[datetime]:
        """The moments on local ``day`` where this entry can start or stop matching."""
        yield _local(day, time(0), self.zone)
        for start, end in self.times:
            yield _local(day, start, self.zone)
            if end != time.max:
                yield _local(day, end, self.zone)


@dataclass(frozen=True, slots=True)
class TimeInterval:
    """A named interval: any of its entries."""

    name: str
    entries: tuple[IntervalEntry, ...]

    def contains(self, at: datetime) -> bool:
        """True when ``at`` is inside the interval."""
        return any(entry.matches(at) for entry in self.entries)


def muting(
    *, at: datetime, mute: Sequence[TimeInterval], active: Sequence[TimeInterval]
) -> tuple[str, ...]:
    """Why a channel may not send at ``at``: the mute intervals holding, or the active ones
    none of which holds; empty when it may send."""
    _require_aware(at)
    held = tuple(i.name for i in mute if i.contains(at))
    if held:
        return held
    if active and not any(i.contains(at) for i in active):
        return tuple(i.name for i in active)
    return ()


def muted_until(
    *, at: datetime, mute: Sequence[TimeInterval], active: Sequence[TimeInterval]
) -> datetime | None:
    """None when a channel may send at ``at``; else the first moment after it when it may.
    ValueError when it stays muted for over a year."""
    if not muting(at=at, mute=mute, active=active):
        return None
    entries = [e for interval in (*mute, *active) for e in interval.entries]
    zones = {e.zone.key: e.zone for e in entries}.values()
    for offset in range(_SEARCH_DAYS + 2):
        moments: set[datetime] = set()
        for zone in zones:
            day = at.astimezone(zone).date() + timedelta(days=offset)
            for entry in entries:
                if entry.zone.key == zone.key:
                    moments.update(entry.boundaries(day))
        for moment in sorted(m for m in moments if m > at):
            if not muting(at=moment, mute=mute, active=active):
                return moment
    raise ValueError("muted for over a year: check the channel's time intervals")


def _within(value: int, ranges: Ranges) -> bool:
    return not ranges or any(low <= value <= high for low, high in ranges)


def _within_month_day(day: date, ranges: Ranges) -> bool:
    if not ranges:
        return True
    last = calendar.monthrange(day.year, day.month)[1]
    for low, high in ranges:
        if low < 0:
            low, high = last + 1 + low, last + 1 + high
        if low <= day.day <= high:
            return True
    return False


def _local(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at must be timezone-aware")
