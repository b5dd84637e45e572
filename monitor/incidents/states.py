"""Incident states, defined once: open -> acknowledged -> resolved or false_positive.

A resolved or false-positive incident can be reopened (back to open); a merged one is closed
for good and points at the incident it was merged into.
"""

from __future__ import annotations

from typing import Final

OPEN: Final = "open"
ACKNOWLEDGED: Final = "acknowledged"
RESOLVED: Final = "resolved"
FALSE_POSITIVE: Final = "false_positive"
MERGED: Final = "merged"  # a responder merged it into another incident of the same story

ACTIVE: Final[tuple[str, ...]] = (OPEN, ACKNOWLEDGED)
CLOSED: Final[tuple[str, ...]] = (RESOLVED, FALSE_POSITIVE)
STATES: Final[tuple[str, ...]] = (*ACTIVE, *CLOSED, MERGED)

# A review's action item (monitor.incidents.reviews): open until done, or dropped when no
# longer needed; either can be opened again.
ACTION_OPEN: Final = "open"
ACTION_DONE: Final = "done"
ACTION_DROPPED: Final = "dropped"
ACTION_STATES: Final[tuple[str, ...]] = (ACTION_OPEN, ACTION_DONE, ACTION_DROPPED)
