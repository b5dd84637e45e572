"""Channels' mute and active time intervals: which named intervals each channel uses, the
configuration findings about them, and when an alert for a muted channel may go out.

A muted channel's alerts are not dropped: the outbox row is written at once, held until the
window ends (``Alert.next_attempt_at``), with the reason in ``Alert.last_error``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from alerts.times import format_time
from config.loader import Finding
from config.people import clock_time
from config.schema import Settings
from config.suggest import one_of
from config.time_intervals import IntervalEntry as EntrySettings
from config.time_intervals import parse_range
from playbooks.intervals import IntervalEntry, TimeInterval, muted_until, muting

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChannelWindows:
    """The intervals one channel is muted in, and those it is active in (empty: always)."""

    mute: tuple[TimeInterval, ...] = ()
    active: tuple[TimeInterval, ...] = ()


@dataclass(frozen=True, slots=True)
class Hold:
    """An alert for a muted channel waits until ``until``; ``reason`` is recorded with it."""

    until: datetime
    reason: str


def interval_findings(settings: Settings) -> Iterator[Finding]:
    """Duplicate interval names, and channels naming an interval that is not defined."""
    names = [i.name for i in settings.time_intervals]
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            yield Finding(("time_intervals", index, "name"), f"duplicate time interval {name!r}")
        seen.add(name)
    for channel, config in settings.channels.items():
        for key in ("mute_time_intervals", "active_time_intervals"):
            for index, name in enumerate(getattr(config, key)):
                if name not in seen:
                    yield Finding(
                        ("channels", channel, key, index),
                        f"unknown time interval {name!r}{one_of(name, names)}",
                    )


def channel_windows(settings: Settings) -> dict[str, ChannelWindows]:
    """Each channel that uses time intervals, with them (unknown names are left out: see
    ``interval_findings``)."""
    defined = {i.name: _interval(i.name, i.time_intervals) for i in settings.time_intervals}
    out: dict[str, ChannelWindows] = {}
    for channel, config in settings.channels.items():
        mute = tuple(defined[n] for n in config.mute_time_intervals if n in defined)
        active = tuple(defined[n] for n in config.active_time_intervals if n in defined)
        if mute or active:
            out[channel] = ChannelWindows(mute=mute, active=active)
    return out


def holds(
    windows: Mapping[str, ChannelWindows],
    channels: Iterable[str],
    *,
    now: datetime,
    zone: str,
) -> dict[str, Hold]:
    """The channels among ``channels`` muted at ``now``, with when each may send and why
    (the time shown in ``zone``); a channel muted for over a year is not held (logged)."""
    out: dict[str, Hold] = {}
    for channel in channels:
        found = windows.get(channel)
        if found is None:
            continue
        why = muting(at=now, mute=found.mute, active=found.active)
        if not why:
            continue
        try:
            until = muted_until(at=now, mute=found.mute, active=found.active)
        except ValueError as exc:  # muted for over a year: a mistake; never silence
            log.warning("channel %s: %s; sending now", channel, exc)
            continue
        assert until is not None
        kind = "muted by" if any(i.name in why for i in found.mute) else "outside"
        out[channel] = Hold(
            until=until,
            reason=f"held: {kind} time interval {', '.join(why)} until {format_time(until, zone)}",
        )
    return out


def _interval(name: str, entries: Iterable[EntrySettings]) -> TimeInterval:
    return TimeInterval(name=name, entries=tuple(_entry(e) for e in entries))


def _entry(entry: EntrySettings) -> IntervalEntry:
    return IntervalEntry(
        zone=ZoneInfo(entry.location),
        times=tuple((_start(t.start_time), clock_time(t.end_time)) for t in entry.times),
        weekdays=tuple(parse_range(v, "weekdays") for v in entry.weekdays),
        days_of_month=tuple(parse_range(v, "days_of_month") for v in entry.days_of_month),
        months=tuple(parse_range(v, "months") for v in entry.months),
        years=tuple(parse_range(v, "years") for v in entry.years),
    )


def _start(value: str) -> time:
    moment = clock_time(value)
    return time(0) if moment == time.max else moment
