"""Report periods: whole local days in the organisation's time zone, and the one before.

A period is a run of whole days ``[first, end)`` in a time zone; its instants are local
midnights, so a week across a daylight-saving change is 167 or 169 hours long, as it should be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_DAYS = 366
_WEEK_RE = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


class PeriodError(ValueError):
    """A period option that cannot be used; the message names the option and the value."""


@dataclass(frozen=True, slots=True)
class Period:
    """Whole local days ``first`` .. ``end - 1 day`` in ``tz``; ``week`` is set for ISO weeks."""

    first: date
    end: date  # exclusive
    tz: str
    week: str | None = None

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.first).days

    @property
    def last(self) -> date:
        """The last day (inclusive)."""
        return self.end - timedelta(days=1)

    @property
    def zone(self) -> ZoneInfo:
        """The period's time zone."""
        return ZoneInfo(self.tz)

    @property
    def start_at(self) -> datetime:
        """Local midnight starting the period, as an aware UTC datetime."""
        return local_midnight(self.first, self.zone)

    @property
    def end_at(self) -> datetime:
        """Local midnight ending the period (exclusive), as an aware UTC datetime."""
        return local_midnight(self.end, self.zone)

    @property
    def label(self) -> str:
        """``2026-W47``, or ``2026-11-01..2026-11-07`` for other periods."""
        if self.week:
            return self.week
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    @property
    def slug(self) -> str:
        """The label made safe for file names."""
        return self.label.replace("..", "_")

    def day_list(self) -> list[date]:
        """Every day of the period, in order."""
        return [self.first + timedelta(days=i) for i in range(self.days)]

    def day_bounds(self) -> list[datetime]:
        """UTC instants of each local midnight from the first day to the end (days + 1 items)."""
        zone = self.zone
        return [local_midnight(self.first + timedelta(days=i), zone) for i in range(self.days + 1)]

    def previous(self) -> Period:
        """The period of equal length just before (the previous ISO week for a week)."""
        first = self.first - timedelta(days=self.days)
        week = iso_week_label(first) if self.week else None
        return Period(first=first, end=self.first, tz=self.tz, week=week)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant of 00:00 local time on ``day`` (the first valid instant on a DST gap)."""
    # In a zone that skips midnight (DST at 00:00), fold=0 takes the offset before the gap, which
    # lands exactly on the first real instant of the day once converted to UTC.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def iso_week_label(day: date) -> str:
    """``YYYY-Www`` of the ISO week holding ``day``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise PeriodError(f"unknown time zone {tz!r}") from None


def last_full_week(*, now: datetime, tz: str) -> Period:
    """The last complete ISO week (Monday to Sunday) before ``now`` in ``tz``."""
    if now.tzinfo is None:
        raise PeriodError("now must be timezone-aware")
    today = now.astimezone(_zone(tz)).date()
    monday = today - timedelta(days=today.weekday()) - timedelta(days=7)
    return Period(first=monday, end=monday + timedelta(days=7), tz=tz, week=iso_week_label(monday))


def iso_week(*, week: str, tz: str) -> Period:
    """The ISO week ``2026-W47`` (also ``2026W47``) in ``tz``."""
    _zone(tz)
    match = _WEEK_RE.match(week.strip())
    if not match:
        raise PeriodError(f"--week: expected an ISO week like 2026-W47, got {week!r}")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        raise PeriodError(f"--week: {year} has no ISO week {number}") from None
    return Period(first=monday, end=monday + timedelta(days=7), tz=tz, week=f"{year}-W{number:02d}")


def parse_day(value: str, option: str) -> date:
    """A ``YYYY-MM-DD`` option value."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise PeriodError(f"{option}: expected a date like 2026-11-16, got {value!r}") from None


def date_range(*, first: date, last: date, tz: str) -> Period:
    """The days ``first`` to ``last`` inclusive in ``tz``."""
    _zone(tz)
    if last < first:
        raise PeriodError(f"--to {last.isoformat()} is before --from {first.isoformat()}")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise PeriodError(f"period of {days} days is too long (at most {MAX_DAYS})")
    return Period(first=first, end=last + timedelta(days=1), tz=tz)


def resolve_period(
    *,
    now: datetime,
    tz: str,
    week: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
) -> Period:
    """The period the CLI options name: ``--week``, ``--from/--to``, or the last full week."""
    if week is not None and (date_from is not None or date_to is not None):
        raise PeriodError("give either --week or --from/--to, not both")
    if week is not None:
        return iso_week(week=week, tz=tz)
    if date_from is not None or date_to is not None:
        if date_from is None or date_to is None:
            raise PeriodError("--from and --to go together")
        return date_range(
            first=parse_day(date_from, "--from"), last=parse_day(date_to, "--to"), tz=tz
        )
    return last_full_week(now=now, tz=tz)
