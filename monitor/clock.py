"""The clock type every time-dependent part takes, and the real one (tests and drills inject
their own)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The real time, timezone-aware UTC."""
    return datetime.now(UTC)


def utc_minute(moment: datetime) -> str:
    """``2026-11-18 10:15 UTC`` for a UTC datetime (how alerts and reports show times)."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")
