"""Plain-text rendering (console, file, the text part of email).

No markup to escape; safety comes from ``clean_text`` in the outline, which drops terminal
escape sequences' control characters and bidi overrides.
"""

from __future__ import annotations

import textwrap

from alerts.message import AlertMessage
from alerts.outline import Line, build_outline

_PREFIX = {"plain": "", "bullet": "  - ", "check": "  [ ] ", "quote": "  > ", "meta": "    "}


def render_text(message: AlertMessage, *, excerpt_chars: int = 300) -> str:
    """A readable plain-text block for one alert, ending with a newline."""
    outline = build_outline(message, excerpt_chars=excerpt_chars)
    out = [f"{outline.headline} — {outline.event_headline}", outline.title]
    for part in outline.parts:
        out.append("")
        if part.heading:
            out.append(f"{part.heading}:")
        out.extend(_line(line) for line in part.lines)
    out.append("")
    out.append(outline.footer)
    if outline.dashboard_url:
        out.append(f"Dashboard: {outline.dashboard_url}")
    return "\n".join(out) + "\n"


def _line(line: Line) -> str:
    if line.style == "block":
        return textwrap.indent(line.text, "    ")
    text = _PREFIX.get(line.style, "") + line.text
    if line.url:
        text += f" · {line.url}"
    return text
