"""What an alert says, independent of format: the text, HTML and chat renderers share it.

Every string in an Outline is cleaned (no control or bidi characters) and cut to size but NOT
escaped; each renderer escapes for its own format. URLs are already checked by ``safe_url``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from alerts.mentions import recipient_names
from alerts.message import AlertMessage, MentionRef
from alerts.sanitize import clean_text, safe_url, truncate
from alerts.times import format_time

Style = Literal["plain", "bullet", "check", "quote", "meta", "block"]

FIELD_CHARS: Final = 300
NOTE_CHARS: Final = 1500
SCRIPT_CHARS: Final = 2500
MAX_MENTIONS: Final = 3
MAX_DIGEST_LINES: Final = 100

EVENT_HEADLINES: Final[dict[str, str]] = {
    "opened": "Incident opened",
    "evidence": "New evidence",
    "grade_changed": "Grade changed",
    "escalated": "Escalated",
    "acknowledged": "Acknowledged",
    "responded": "Public response published",
    "resolved": "Resolved",
    "false_positive": "Marked as false positive",
    "recovery": "Recovering: activity has calmed down",
    "reopened": "Reopened",
    "digest": "Grouped alert",
}


@dataclass(frozen=True)
class Line:
    """One line of content; ``url`` (checked) is shown as a link labelled ``url_label``."""

    text: str
    style: Style = "plain"
    url: str | None = None
    url_label: str = "link"


@dataclass(frozen=True)
class Part:
    """A titled group of lines (title None: no heading)."""

    heading: str | None
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Outline:
    """A rendered-agnostic alert: headline, title, parts, footer."""

    headline: str
    event_headline: str
    title: str
    parts: tuple[Part, ...]
    footer: str
    dashboard_url: str | None


def one_line(text: str, limit: int = FIELD_CHARS) -> str:
    """Clean untrusted text to a single line of at most ``limit`` characters."""
    return truncate(clean_text(text, single_line=True), limit)


def headline(message: AlertMessage) -> str:
    """[DRILL] GRADE · entity · category (or the digest summary)."""
    if message.event == "digest":
        parts = [f"{len(message.members)} new incidents", f"highest {message.grade.upper()}"]
    else:
        parts = [message.grade.upper(), message.entity]
        if message.category:
            parts.append(message.category)
    text = " · ".join(one_line(p, 100) for p in parts)
    return "[DRILL] " + text if message.drill else text


def reference_label(message: AlertMessage) -> str:
    """What the message's ``incident_id`` names: an incident, or a grouped alert's key."""
    return "Grouped alert" if message.event == "digest" else "Incident"


def build_outline(message: AlertMessage, *, excerpt_chars: int = FIELD_CHARS) -> Outline:
    """Choose and clean the content for this event: everything for "opened", a summary else."""
    if message.event == "digest":
        parts = _digest_parts(message)
    elif message.event == "opened":
        parts = _full_parts(message, excerpt_chars)
    else:
        parts = _update_parts(message, excerpt_chars)
    created = format_time(message.created_at, message.timezone)
    return Outline(
        headline=headline(message),
        event_headline=EVENT_HEADLINES.get(message.event, message.event),
        title=one_line(message.title),
        parts=tuple(p for p in parts if p.lines),
        footer=f"{reference_label(message)} {one_line(message.incident_id, 200)} · {created}",
        dashboard_url=safe_url(message.dashboard_url),
    )


def _status_part(message: AlertMessage) -> Part:
    status = f"Status: {one_line(message.status, 60)}"
    if message.escalation_level:
        status += f" · escalation level {message.escalation_level}"
    lines = [Line(status)]
    if message.story:
        lines.append(Line("Story: " + one_line(message.story, 200)))
    lines.append(Line(f"Likelihood {message.likelihood} × impact {message.impact}"))
    lines.extend(Line(one_line(r), "bullet") for r in message.reasons)
    return Part(None, tuple(lines))


def _note_part(message: AlertMessage) -> Part:
    if not message.note:
        return Part(None, ())
    return Part("Note", (Line(truncate(clean_text(message.note), NOTE_CHARS), "block"),))


def _mentions_part(mentions: tuple[MentionRef, ...], excerpt_chars: int, zone: str) -> Part:
    lines: list[Line] = []
    for mention in mentions[:MAX_MENTIONS]:
        lines.append(Line(one_line(mention.excerpt, excerpt_chars), "quote"))
        meta = [one_line(mention.source, 100)]
        if mention.author:
            meta.append(one_line(mention.author, 100))
        if mention.published is not None:
            meta.append(format_time(mention.published, zone))
        lines.append(Line("— " + " · ".join(meta), "meta", url=safe_url(mention.url)))
    return Part("Top mentions", tuple(lines))


def people_parts(message: AlertMessage) -> list[Part]:
    """Who could not be reached (``paging`` warnings) and who the alert is for (names only:
    each chat renderer adds its own mentions)."""
    names = recipient_names(message)
    return [
        Part("Paging", tuple(Line(one_line(w), "bullet") for w in message.paging)),
        Part("For", (Line(names),) if names else ()),
    ]


def _full_parts(message: AlertMessage, excerpt_chars: int) -> list[Part]:
    mentions = _mentions_part(message.top_mentions, excerpt_chars, message.timezone)
    parts = [*people_parts(message), _status_part(message), mentions]
    parts.extend(_playbook_parts(message))
    parts.append(_note_part(message))
    return parts


def _playbook_parts(message: AlertMessage) -> list[Part]:
    """The SLA, checklist and approved scripts of the playbook for the incident's grade."""
    scripts: list[Line] = []
    for script in message.scripts:
        scripts.append(Line(f"{one_line(script.id, 80)} ({one_line(script.lang, 20)})", "meta"))
        scripts.append(Line(truncate(clean_text(script.text), SCRIPT_CHARS), "block"))
    return [
        Part("SLA", tuple(Line(one_line(s), "bullet") for s in message.sla)),
        Part("Checklist", tuple(Line(one_line(c), "check") for c in message.checklist)),
        Part("Approved scripts", tuple(scripts)),
    ]


def _update_parts(message: AlertMessage, excerpt_chars: int) -> list[Part]:
    parts = [*people_parts(message), _note_part(message), _status_part(message)]
    if message.event == "evidence":
        parts.append(_mentions_part(message.top_mentions, excerpt_chars, message.timezone))
    if message.event == "escalated":
        parts.append(Part("SLA", tuple(Line(one_line(s), "bullet") for s in message.sla)))
    if message.event == "grade_changed":
        # another grade can mean another playbook: its targets, steps and scripts apply now
        parts.extend(_playbook_parts(message))
    return parts


def _digest_parts(message: AlertMessage) -> list[Part]:
    intro = tuple(Line(one_line(r), "bullet") for r in message.reasons)
    lines: list[Line] = []
    for entry in message.members[:MAX_DIGEST_LINES]:
        bits = [entry.grade.upper(), entry.entity] + ([entry.category] if entry.category else [])
        label = " · ".join(one_line(b, 80) for b in bits)
        text = f"{label} — {one_line(entry.title, 120)} ({one_line(entry.incident_id, 100)})"
        lines.append(Line(text, "bullet"))
    hidden = len(message.members) - MAX_DIGEST_LINES
    if hidden > 0:
        lines.append(Line(f"… and {hidden} more"))
    return [
        *people_parts(message),
        Part(None, intro),
        Part("Incidents", tuple(lines)),
        _note_part(message),
    ]
