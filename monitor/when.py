"""``read_when``: a moment as people type it, the one reading the CLI options and the console's
forms share: a duration back from now (ahead of it for deadlines: ``24h``, ``7d``) or a
date/time in the organisation's zone unless it says its own (``+08:00``, ``UTC+8``)."""

from __future__ import annotations

from datetime import datetime


def read_when(value: str, *, now: datetime, zone: str, option: str,
              ahead: bool = False) -> datetime:
    """``value`` as a moment; ValueError naming ``option`` and an example otherwise."""
    from alerts.times import read_time
    from config.durations import parse_duration

    try:
        span = parse_duration(value)
        return now + span if ahead else now - span
    except ValueError:
        pass
    try:
        return read_time(value, zone)
    except ValueError:
        example = "4h or a time like 2026-11-30 18:00" if ahead else "24h or a date like 2026-11-01"
        raise ValueError(f"--{option}: expected a duration like {example}, got {value!r}") from None
