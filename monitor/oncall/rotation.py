"""Who a schedule puts on call, computed: the shifts of a time range, with overrides and swaps.

Pure: a ``config.people.Schedule``, the organisation's zone and holidays, the stored overrides
and swaps as plain values and aware datetimes in; ``Shift`` values (UTC) out. No clock, no
database.

Rules (docs/oncall.md): each layer hands off at a wall-clock time in the schedule's zone
(daily, or weekly on ``handoff_day``; the first turn starts on ``start`` at the handoff, and a
layer has nobody before it). A layer with restrictions is on call only inside its windows and
never on a holiday (the schedule's and the organisation's, as dates in the schedule's zone).
The last layer listed that is on call wins. A swap gives one shift of a person (the shift
starting at that moment) to another; an override puts a person on call for a time range over
everything else. A shift is a run of one person on one layer's turn (or one override), so it
never lasts longer than a turn except an override.

Wall clock: a 09:00 handoff stays 09:00 across a daylight-saving change (that week is 167 or
169 hours long). A wall time that does not exist (the hour skipped in spring) is read with the
offset before the change (01:30 becomes 02:30); one that occurs twice is its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from config.people import WEEKDAYS, Layer, Schedule, clock_time

# A layer's shift never lasts longer than a turn (a week), so looking this far either side of
# a range finds where every shift overlapping it starts and ends.
_PAD = timedelta(days=8)
NEXT_HORIZON = timedelta(days=28)
# the few HH:MM texts of a configuration, parsed once (they are read at every moment looked at)
_clock = lru_cache(maxsize=256)(clock_time)

Source = Literal["rotation", "swap", "override"]


@dataclass(frozen=True)
class Override:
    """A person on call over everything else from ``start`` to ``end``."""

    id: int
    person: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Swap:
    """``person``'s shift starting at ``shift_start`` is taken by ``taken_by``."""

    id: int
    person: str
    taken_by: str
    shift_start: datetime


@dataclass(frozen=True)
class Shift:
    """One person on call from ``start`` to ``end`` (UTC): a layer's turn, a swap or an override.

    ``layer`` is the layer's label (``layer 1`` when unnamed) or ``override``; ``replaces`` the
    rotation's person a swap took the shift from; ``ref`` the override's or swap's id."""

    person: str
    start: datetime
    end: datetime
    layer: str
    source: Source = "rotation"
    replaces: str | None = None
    ref: int | None = None


@dataclass(frozen=True)
class Rota:
    """A schedule with what it is computed against: its zone and all of its holidays."""

    schedule: Schedule
    zone: ZoneInfo
    holidays: frozenset[date]

    @classmethod
    def of(cls, schedule: Schedule, *, zone: str, holidays: Iterable[date] = ()) -> Rota:
        """``schedule`` in its own zone, else the organisation's ``zone``, with the
        organisation's ``holidays`` added to its own."""
        return cls(
            schedule,
            ZoneInfo(schedule.timezone or zone),
            frozenset(schedule.holidays) | frozenset(holidays),
        )


@dataclass(frozen=True)
class Now:
    """The shift on call at a moment (None: nobody) and the one after it (None: none within
    ``NEXT_HORIZON``)."""

    at: datetime
    current: Shift | None
    next: Shift | None


def layer_label(layer: Layer, index: int) -> str:
    """The layer's name, else ``layer N`` (1-based, in configuration order)."""
    return layer.name or f"layer {index + 1}"


def shifts(
    rota: Rota,
    *,
    start: datetime,
    end: datetime,
    overrides: Sequence[Override] = (),
    swaps: Sequence[Swap] = (),
) -> list[Shift]:
    """Every shift overlapping ``[start, end)``, whole (it may begin before ``start`` or end
    after ``end``), in time order; the gaps are when nobody is on call."""
    start, end = _utc(start), _utc(end)
    low, high = start - _PAD, end + _PAD
    for o in overrides:
        if _utc(o.start) < end and _utc(o.end) > start:
            low, high = min(low, _utc(o.start)), max(high, _utc(o.end))
    points = {p for p in _layer_points(rota, low, high)}
    points |= {_utc(t) for o in overrides for t in (o.start, o.end)}
    ordered = [low, *sorted(p for p in points if low < p < high), high]
    base = _base_shifts(rota, ordered)
    swapped = _apply_swaps(base, swaps, first=low)
    placed = _apply_overrides(swapped, overrides)
    return [s for s in placed if s.start < end and s.end > start]


def on_call_now(
    rota: Rota,
    *,
    at: datetime,
    overrides: Sequence[Override] = (),
    swaps: Sequence[Swap] = (),
) -> Now:
    """The shift on call at ``at`` and the next one (starting when it ends, or later)."""
    at = _utc(at)
    found = shifts(rota, start=at, end=at + NEXT_HORIZON, overrides=overrides, swaps=swaps)
    current = next((s for s in found if s.start <= at < s.end), None)
    after = current.end if current is not None else at
    upcoming = next((s for s in found if s.start >= after), None)
    return Now(at, current, upcoming)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the on-call rotation")
    return moment.astimezone(UTC)


def _wall(day: date, clock: str, zone: ZoneInfo) -> datetime:
    """The moment the wall clock of ``zone`` reads ``clock`` on ``day`` (24:00: next day's 0:00)."""
    if clock == "24:00":
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return datetime.combine(day, _clock(clock), tzinfo=zone).astimezone(UTC)


def _days(rota: Rota, low: datetime, high: datetime) -> Iterable[date]:
    day = low.astimezone(rota.zone).date() - timedelta(days=1)
    last = high.astimezone(rota.zone).date() + timedelta(days=1)
    while day <= last:
        yield day
        day += timedelta(days=1)


def _layer_points(rota: Rota, low: datetime, high: datetime) -> Iterable[datetime]:
    """Every moment a layer's state may change between ``low`` and ``high``."""
    for day in _days(rota, low, high):
        weekday = WEEKDAYS[day.weekday()]
        for layer in rota.schedule.layers:
            if layer.rotation == "daily" or weekday == layer.handoff_day or day == layer.start:
                yield _wall(day, layer.handoff, rota.zone)
            for window in layer.restrictions:
                yield _wall(day, window.start, rota.zone)
                yield _wall(day, window.end, rota.zone)


def _turn(layer: Layer, zone: ZoneInfo, moment: datetime) -> tuple[int, datetime] | None:
    """The layer's turn at ``moment``: its number (0: the first) and when it began; None
    before the layer's first turn."""
    day = moment.astimezone(zone).date()
    if _wall(day, layer.handoff, zone) > moment:
        day -= timedelta(days=1)
    if day < layer.start:
        return None
    if layer.rotation == "daily":
        return (day - layer.start).days, _wall(day, layer.handoff, zone)
    handoff_day = WEEKDAYS.index(layer.handoff_day)
    week_start = day - timedelta(days=(day.weekday() - handoff_day) % 7)
    if week_start <= layer.start:
        return 0, _wall(layer.start, layer.handoff, zone)
    first = layer.start + timedelta(days=(handoff_day - layer.start.weekday()) % 7 or 7)
    return (week_start - first).days // 7 + 1, _wall(week_start, layer.handoff, zone)


def _restricted_on(layer: Layer, rota: Rota, moment: datetime) -> bool:
    if not layer.restrictions:
        return True
    local = moment.astimezone(rota.zone)
    if local.date() in rota.holidays:
        return False
    weekday, clock = WEEKDAYS[local.weekday()], local.time().replace(tzinfo=None)
    return any(
        weekday in w.days and _clock(w.start) <= clock < _clock(w.end) for w in layer.restrictions
    )


def _top(rota: Rota, moment: datetime) -> tuple[str, int, datetime] | None:
    """(person, layer index, turn start) of the top layer on call at ``moment``, or None."""
    layers = rota.schedule.layers
    for index in range(len(layers) - 1, -1, -1):
        layer = layers[index]
        turn = _turn(layer, rota.zone, moment)
        if turn is not None and _restricted_on(layer, rota, moment):
            number, began = turn
            return layer.members[number % len(layer.members)], index, began
    return None


def _base_shifts(rota: Rota, points: Sequence[datetime]) -> list[Shift]:
    """The layers' shifts between consecutive ``points`` (equal neighbours joined)."""
    out: list[Shift] = []
    previous: tuple[str, int, datetime] | None = None
    for begin, finish in zip(points, points[1:], strict=False):
        key = _top(rota, begin)
        if key is not None and key == previous and out and out[-1].end == begin:
            out[-1] = replace(out[-1], end=finish)
        elif key is not None:
            label = layer_label(rota.schedule.layers[key[1]], key[1])
            out.append(Shift(key[0], begin, finish, label))
        previous = key
    return out


def _apply_swaps(base: list[Shift], swaps: Sequence[Swap], *, first: datetime) -> list[Shift]:
    by_start = {(_utc(s.shift_start), s.person): s for s in swaps}
    out = []
    for shift in base:
        swap = None if shift.start == first else by_start.get((shift.start, shift.person))
        if swap is None:
            out.append(shift)
        else:
            out.append(
                replace(shift, person=swap.taken_by, source="swap", replaces=shift.person,
                        ref=swap.id)
            )  # fmt: skip
    return out


def _apply_overrides(shifts_: list[Shift], overrides: Sequence[Override]) -> list[Shift]:
    out = list(shifts_)
    for o in overrides:
        begin, finish = _utc(o.start), _utc(o.end)
        kept: list[Shift] = []
        for s in out:
            if s.end <= begin or s.start >= finish:
                kept.append(s)
                continue
            if s.start < begin:
                kept.append(replace(s, end=begin))
            if s.end > finish:
                kept.append(replace(s, start=finish))
        kept.append(Shift(o.person, begin, finish, "override", "override", ref=o.id))
        out = sorted(kept, key=lambda s: s.start)
    return out
