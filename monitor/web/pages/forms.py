"""Form and query values read the way the CLI reads its options (``monitor.when``), so
``4h``, ``7d`` and ``2026-11-30 18:00`` mean the same on a page as on the command line."""

from __future__ import annotations

from datetime import datetime

from monitor.web.context import WebContext
from monitor.when import read_when


def when_value(web: WebContext, value: str, *, option: str, now: datetime,
               ahead: bool) -> datetime:
    """A duration from ``now`` (ahead of it with ``ahead``) or a time in the organisation's
    zone; ValueError (a 400 page) with the CLI's one-line message otherwise."""
    return read_when(value.strip(), now=now, zone=web.settings.organisation.timezone,
                     option=option, ahead=ahead)


def since_time(web: WebContext, value: str | None) -> datetime | None:
    """``?since=24h`` (or a date) as a time; None when empty."""
    if not value or not value.strip():
        return None
    return when_value(web, value, option="since", now=web.clock(), ahead=False)


def optional(value: str | None) -> str | None:
    """A form field with only spaces in it is not given."""
    return value.strip() if value and value.strip() else None
