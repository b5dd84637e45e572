"""A schedule's shifts as an iCalendar file (RFC 5545): one VEVENT per shift.

Times are UTC (``...Z``), so no VTIMEZONE is needed and every calendar shows them in its own
zone. A shift's UID is stable across exports (schedule, start and layer, or the override's id),
so importing a newer export updates events instead of adding copies. Text is escaped (\\, ;, ,
and newlines) and lines are folded at 75 octets without splitting a UTF-8 character.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from monitor.oncall.rotation import Shift

PRODID = "-//crisiswatch//on-call//EN"


def calendar(
    *,
    schedule_id: str,
    schedule_name: str,
    shifts: Sequence[Shift],
    names: Mapping[str, str],
    now: datetime,
) -> str:
    """The iCalendar text of ``shifts`` (CRLF line ends); ``names`` maps person ids to names."""
    stamp = _utc(now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(f'On call: {schedule_name}')}",
    ]
    for shift in shifts:
        name = names.get(shift.person, shift.person)
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid(schedule_id, shift)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc(shift.start)}",
            f"DTEND:{_utc(shift.end)}",
            f"SUMMARY:{escape(f'On call: {name} ({schedule_name})')}",
            f"DESCRIPTION:{escape(_description(shift, name, names))}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def uid(schedule_id: str, shift: Shift) -> str:
    """The shift's stable UID."""
    if shift.source == "override":
        return f"override-{shift.ref}.{schedule_id}@crisiswatch"
    slot = "".join(c if c.isalnum() else "-" for c in shift.layer)
    return f"{_utc(shift.start)}-{slot}.{schedule_id}@crisiswatch"


def escape(text: str) -> str:
    """A TEXT value as RFC 5545 writes it (section 3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """``line`` folded into lines of at most 75 octets (continuations start with a space)."""
    parts: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # the leading space takes one octet
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _description(shift: Shift, name: str, names: Mapping[str, str]) -> str:
    if shift.source == "override":
        return f"{name}: override #{shift.ref}"
    if shift.source == "swap" and shift.replaces is not None:
        instead = names.get(shift.replaces, shift.replaces)
        return f"{name}: {shift.layer}, swap #{shift.ref} (instead of {instead})"
    return f"{name}: {shift.layer}"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
