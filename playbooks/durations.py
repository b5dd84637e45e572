"""Durations written as ``15m``, ``2h``, ``1d``, ``1h30m`` in playbook files."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"\s*(\d{1,6})\s*([smhdw])", re.ASCII)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: object) -> timedelta:
    """Parse ``15m`` / ``2h`` / ``1d`` / ``1h30m``; ValueError says what was expected."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"expected a duration like 15m, got {_show(text)}")
    seconds = 0
    pos = 0
    stripped = text.strip()
    while pos < len(stripped):
        match = _PART.match(stripped, pos)
        if match is None:
            raise ValueError(f"expected a duration like 15m, got {_show(text)}")
        seconds += int(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """Render a duration compactly (``1h15m``, ``2d``, ``0s``); the inverse of parse_duration."""
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, total = divmod(total, size)
        if count:
            out.append(f"{count}{unit}")
    return sign + ("".join(out) or "0s")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
