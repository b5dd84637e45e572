"""Incident states, defined once: open -> acknowledged -> resolved or false_positive.

A resolved or false-positive incident can be reopened (back to open).
"""

from __future__ import annotations

from typing import Final

OPEN: Final = "open"
ACKNOWLEDGED: Final = "acknowledged"
RESOLVED: Final = "resolved"
FALSE_POSITIVE: Final = "false_positive"

ACTIVE: Final[tuple[str, ...]] = (OPEN, ACKNOWLEDGED)
CLOSED: Final[tuple[str, ...]] = (RESOLVED, FALSE_POSITIVE)
STATES: Final[tuple[str, ...]] = (*ACTIVE, *CLOSED)
