"""Report periods: whole local days in the organisation's time zone, and the one before.

A period is a run of whole days ``[first, end)`` in a time zone; its instants are local
midnights, so a week across a daylight-saving change is 167 or 169 hours long, as it should be.
A period has a kind: a day, an ISO week, a calendar month, a quarter, a year, or a custom range.
The previous period is the one of the same kind just before (a month against the previous month,
whatever their lengths); a custom range is compared with the range of equal length before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_DAYS = 366
_WEEK_RE = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_YEAR_RE = re.compile(r"^(\d{4})$")

# The report kinds, shortest first; "range" is a custom --from/--to period.
KINDS: tuple[str, ...] = ("day", "week", "month", "quarter", "year")


class PeriodError(ValueError):
    """A period option that cannot be used; the message names the option and the value."""


@dataclass(frozen=True, slots=True)
class Period:
    """Whole local days ``first`` .. ``end - 1 day`` in ``tz``; ``week`` is set for ISO weeks."""

    first: date
    end: date  # exclusive
    tz: str
    week: str | None = None
    kind: str = "range"  # one of KINDS, or "range"

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
        """``2026-11-16``, ``2026-W47``, ``2026-11``, ``2026-Q4``, ``2026``, or a range
        ``2026-11-01..2026-11-07``."""
        if self.week:
            return self.week
        if self.kind == "day":
            return self.first.isoformat()
        if self.kind == "month":
            return f"{self.first.year}-{self.first.month:02d}"
        if self.kind == "quarter":
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.first.year)
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
        """The period of the same kind just before (a range: the one of equal length)."""
        kind = "week" if self.week else self.kind
        if kind in KINDS:
            return period_of(kind=kind, day=self.first - timedelta(days=1), tz=self.tz)
        first = self.first - timedelta(days=self.days)
        return Period(first=first, end=self.first, tz=self.tz)


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


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_of(*, kind: str, day: date, tz: str) -> Period:
    """The day, ISO week, month, quarter or year holding ``day``."""
    if kind == "day":
        return Period(first=day, end=day + timedelta(days=1), tz=tz, kind="day")
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period(
            first=monday,
            end=monday + timedelta(days=7),
            tz=tz,
            week=iso_week_label(monday),
            kind="week",
        )
    if kind == "month":
        first = day.replace(day=1)
        return Period(first=first, end=_add_months(first, 1), tz=tz, kind="month")
    if kind == "quarter":
        first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return Period(first=first, end=_add_months(first, 3), tz=tz, kind="quarter")
    if kind == "year":
        return Period(first=date(day.year, 1, 1), end=date(day.year + 1, 1, 1), tz=tz, kind="year")
    raise PeriodError(f"--period: unknown period {kind!r} (expected {', '.join(KINDS)})")


def last_full(*, kind: str, now: datetime, tz: str) -> Period:
    """The last complete period of ``kind`` before ``now`` in ``tz`` (yesterday for a day)."""
    if now.tzinfo is None:
        raise PeriodError("now must be timezone-aware")
    today = now.astimezone(_zone(tz)).date()
    current = period_of(kind=kind, day=today, tz=tz)
    return current.previous()


def last_full_week(*, now: datetime, tz: str) -> Period:
    """The last complete ISO week (Monday to Sunday) before ``now`` in ``tz``."""
    return last_full(kind="week", now=now, tz=tz)


def period_at(*, kind: str, at: str, tz: str) -> Period:
    """The period of ``kind`` named by ``at``: a day inside it, or its label (``2026-W47``,
    ``2026-11``, ``2026-Q4``, ``2026``)."""
    _zone(tz)
    text = at.strip()
    if kind not in KINDS:
        raise PeriodError(f"--period: unknown period {kind!r} (expected {', '.join(KINDS)})")
    if kind == "week" and _WEEK_RE.match(text):
        return iso_week(week=text, tz=tz)
    month = _MONTH_RE.match(text)
    if kind == "month" and month and 1 <= int(month.group(2)) <= 12:
        return period_of(kind=kind, day=date(int(month.group(1)), int(month.group(2)), 1), tz=tz)
    quarter = _QUARTER_RE.match(text)
    if kind == "quarter" and quarter:
        first = date(int(quarter.group(1)), (int(quarter.group(2)) - 1) * 3 + 1, 1)
        return period_of(kind=kind, day=first, tz=tz)
    if kind == "year" and _YEAR_RE.match(text):
        return period_of(kind=kind, day=date(int(text), 1, 1), tz=tz)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise PeriodError(
            f"--at: expected a day like 2026-11-16 or the {kind}'s name, got {at!r}"
        ) from None
    return period_of(kind=kind, day=day, tz=tz)


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
    return Period(
        first=monday,
        end=monday + timedelta(days=7),
        tz=tz,
        week=f"{year}-W{number:02d}",
        kind="week",
    )


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
    kind: str | None = None,
    at: str | None = None,
) -> Period:
    """The period the CLI options name: ``--period [--at]``, ``--week``, ``--from/--to``, or
    the last full week."""
    given = [
        name
        for name, value in (
            ("--period", kind),
            ("--week", week),
            ("--from/--to", date_from or date_to),
        )
        if value is not None
    ]
    if len(given) > 1:
        raise PeriodError(f"give either {given[0]} or {given[1]}, not both")
    if at is not None and kind is None:
        raise PeriodError("--at goes with --period")
    if kind is not None:
        if at is None:
            return last_full(kind=kind, now=now, tz=tz)
        return period_at(kind=kind, at=at, tz=tz)
    if week is not None:
        return iso_week(week=week, tz=tz)
    if date_from is not None or date_to is not None:
        if date_from is None or date_to is None:
            raise PeriodError("--from and --to go together")
        return date_range(
            first=parse_day(date_from, "--from"), last=parse_day(date_to, "--to"), tz=tz
        )
    return last_full_week(now=now, tz=tz)
