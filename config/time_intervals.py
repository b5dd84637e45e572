"""Named time intervals, as Alertmanager writes them: the schema of the ``time_intervals``
section, referenced by channels as mute or active windows (``playbooks.intervals`` evaluates
them).

An interval is a list of entries; a moment is inside the interval when it matches any entry,
and matches an entry when it matches every field that entry sets. Ranges are inclusive
(``monday:friday``, ``1:5``, ``-3:-1`` for the last three days of a month, ``january:march``,
``2026:2027``); times run from ``start_time`` up to, not including, ``end_time``; ``location``
is the IANA zone the entry is read in (default UTC, as in Alertmanager).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from config.people import ClockTime, Zone, clock_time

WEEKDAY_NAMES: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
MONTH_NAMES: tuple[str, ...] = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_range(value: str, kind: str) -> tuple[int, int]:
    """``value`` (``a`` or ``a:b``) as an inclusive range of numbers for ``kind`` (weekdays
    0=Monday, days of month -31..31 without 0, months 1-12, years); ValueError naming it."""
    parts = str(value).strip().casefold().split(":")
    if len(parts) > 2 or not all(parts):
        raise ValueError(f"expected {kind} or a range {kind}:{kind}, got {value!r}")
    numbers = tuple(_number(part, kind, value) for part in parts)
    start, end = numbers[0], numbers[-1]
    if kind == "days_of_month" and (start < 0) != (end < 0):
        raise ValueError(f"a day-of-month range mixes signs: {value!r} (write 1:31 or -3:-1)")
    if end < start:
        raise ValueError(f"range {value!r} ends before it starts")
    return start, end


def _number(part: str, kind: str, value: str) -> int:
    if kind == "weekdays":
        if part in WEEKDAY_NAMES:
            return WEEKDAY_NAMES.index(part)
        raise ValueError(f"unknown weekday {part!r} in {value!r} (expected monday..sunday)")
    if kind == "months" and part in MONTH_NAMES:
        return MONTH_NAMES.index(part) + 1
    if not re.fullmatch(r"-?\d{1,4}", part):
        raise ValueError(f"expected a number or name in {kind}, got {value!r}")
    number = int(part)
    low, high = {"days_of_month": (-31, 31), "months": (1, 12), "years": (1970, 9999)}[kind]
    if not low <= number <= high or (kind == "days_of_month" and number == 0):
        raise ValueError(f"{kind} value {part!r} out of range in {value!r}")
    return number


def _ranges(kind: str) -> AfterValidator:
    def check(values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            parse_range(value, kind)
        return values

    return AfterValidator(check)


class TimeRange(_Model):
    """A time of day range: from ``start_time`` up to ``end_time`` (24:00: midnight)."""

    start_time: ClockTime = Field(description="Start (HH:MM), included.")
    end_time: ClockTime = Field(description="End (HH:MM), not included; 24:00 is midnight.")

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if clock_time(self.end_time) <= clock_time(self.start_time):
            raise ValueError(
                f"end_time ({self.end_time}) must be later than start_time ({self.start_time})"
            )
        return self


class IntervalEntry(_Model):
    """One entry: a moment matches when it matches every field set here (unset: any)."""

    times: tuple[TimeRange, ...] = Field((), description="Times of day; empty: all day.")
    weekdays: Annotated[tuple[str, ...], _ranges("weekdays")] = Field(
        (), description="Weekdays or ranges (monday, saturday:sunday); empty: every day."
    )
    days_of_month: Annotated[tuple[str, ...], _ranges("days_of_month")] = Field(
        (), description="Days of the month or ranges (1:5; -1 is the last day)."
    )
    months: Annotated[tuple[str, ...], _ranges("months")] = Field(
        (), description="Months or ranges, by name or number (january:march, 12)."
    )
    years: Annotated[tuple[str, ...], _ranges("years")] = Field(
        (), description="Years or ranges (2026, 2026:2027)."
    )
    location: Zone = Field("UTC", description="IANA time zone the entry is read in.")


class TimeInterval(_Model):
    """A named interval, used by channels' ``mute_time_intervals`` and
    ``active_time_intervals``."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="Its name.")
    time_intervals: tuple[IntervalEntry, ...] = Field(
        min_length=1, description="Entries; the interval is any of them."
    )


TimeIntervalList = Annotated[
    tuple[TimeInterval, ...],
    Field((), description="Named time intervals (Alertmanager's format), used by channels."),
]
