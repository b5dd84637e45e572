"""Working hours: whether a moment is inside them, when they next open, and deadlines and
elapsed times counted in working time only.

Windows are local times of day on some weekdays in one time zone, so a 09:00-18:00 day stays
09:00-18:00 across a daylight-saving change (that day is an hour shorter or longer in UTC).
Holidays are local dates with no working time. Every datetime in and out is timezone-aware.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_SEARCH_DAYS = 400  # a calendar with no working day in a year and a bit is a mistake


@dataclass(frozen=True, slots=True)
class Window:
    """Working time on some weekdays (0 = Monday) from ``start`` to ``end`` (``time.max``:
    to midnight), local to the calendar's zone."""

    weekdays: frozenset[int]
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """A working-time calendar: windows in one zone, minus holidays."""

    zone: ZoneInfo
    windows: tuple[Window, ...]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not any(w.weekdays for w in self.windows):
            raise ValueError("working hours need at least one window on some weekday")

    def is_open(self, at: datetime) -> bool:
        """True when ``at`` falls inside working time."""
        start, _ = next(self.periods(at))
        return start <= at

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself when it is working time, else when working time next starts."""
        start, _ = next(self.periods(at))
        return max(start, at)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of working time after ``start`` has passed (a reply
        deadline counted in business hours)."""
        left = duration
        for begin, end in self.periods(start):
            begin = max(begin, start)
            if end - begin >= left:
                return begin + left
            left -= end - begin
        raise AssertionError("periods() never ends")  # pragma: no cover

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from ``start`` to ``end`` (zero when ``end`` is not later)."""
        total = timedelta(0)
        if end <= start:
            return total
        for begin, finish in self.periods(start):
            if begin >= end:
                break
            total += min(finish, end) - max(begin, start)
        return total

    def periods(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working periods (start, end), in order, from the one holding or following ``at``;
        endless. ValueError when there is no working time at all for over a year."""
        if at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        day = at.astimezone(self.zone).date() - timedelta(days=1)
        idle = 0
        while True:
            found = False
            for begin, end in _merged(self._day(day)):
                found = True
                if end > at:
                    yield begin, end
            idle = 0 if found else idle + 1
            if idle > _SEARCH_DAYS:
                raise ValueError("no working time within a year: check the hours and holidays")
            day += timedelta(days=1)

    def _day(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        if day in self.holidays:
            return
        for window in self.windows:
            if day.weekday() in window.weekdays:
                begin = _local(day, window.start, self.zone)
                end = (
                    _local(day + timedelta(days=1), time(0), self.zone)
                    if window.end == time.max
                    else _local(day, window.end, self.zone)
                )
                if end > begin:
                    yield begin, end


def _local(day: date, moment: time, zone: ZoneInfo) -> datetime:
    # A wall time skipped by a spring-forward change maps to the instant after the gap
    # (zoneinfo's fold=0 reading), which is what "opens at 02:30" should mean that day. In
    # UTC, because arithmetic between datetimes sharing a zone ignores the offset change.
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def _merged(periods: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for begin, end in sorted(periods):
        if out and begin <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((begin, end))
    return out
