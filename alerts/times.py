"""How every human-facing output shows a moment: in the organisation's zone, with the zone.

One definition for alerts, the digest, reports and the command line, so a reader never has to
guess which zone a time is in. Machine outputs (JSON, payloads) keep ISO 8601 with an offset.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["format_time", "read_time", "zone_label"]


@lru_cache(maxsize=64)
def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC  # config validation rejects unknown zones; never fail while rendering


def zone_label(offset: timedelta | None) -> str:
    """``UTC``, ``UTC+8``, ``UTC+5:30``, ``UTC-4``: unambiguous, unlike abbreviations (CST)."""
    minutes = int((offset or timedelta(0)).total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def format_time(
    moment: datetime | str, zone: str | tzinfo = "UTC", *, seconds: bool = False
) -> str:
    """``2026-11-18 18:15 UTC+8``: ``moment`` (a datetime or ISO 8601 text, as in JSON views)
    in ``zone``; naive moments are taken as UTC."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(_zone(zone) if isinstance(zone, str) else zone)
    text = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{text} {zone_label(local.utcoffset())}"


_LABEL = re.compile(r"\s*UTC(?:([+-])(\d{1,2})(?::(\d{2}))?)?$")


def read_time(text: str, zone: str | tzinfo = "UTC") -> datetime:
    """A time as a person types or pastes it back: ISO 8601, with its own offset or a
    ``zone_label`` as ``format_time`` prints it (``2026-11-18 18:15 UTC+8``), else in ``zone``;
    ValueError when it is not a time."""
    text, label = text.strip(), None
    printed = _LABEL.search(text)
    if printed:
        sign, hours, minutes = printed.groups()
        offset = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
        label = timezone(-offset if sign == "-" else offset)
        text = text[: printed.start()]
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is not None:
        return parsed
    local = label or (_zone(zone) if isinstance(zone, str) else zone)
    return parsed.replace(tzinfo=local).astimezone(UTC)
