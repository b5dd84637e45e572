"""HTML rendering for email: every outside string goes through ``html.escape``."""

from __future__ import annotations

from html import escape

from alerts.message import AlertMessage
from alerts.outline import Line, build_outline

_GRADE_COLOURS = {
    "critical": "#b00020",
    "high": "#d9480f",
    "medium": "#e67700",
    "low": "#2b8a3e",
}


def render_html(message: AlertMessage, *, excerpt_chars: int = 300) -> str:
    """A self-contained HTML document (inline styles only, no scripts, no remote images)."""
    outline = build_outline(message, excerpt_chars=excerpt_chars)
    colour = _GRADE_COLOURS.get(message.grade, "#495057")
    body = [
        f'<h2 style="color:{colour};margin:0 0 4px 0">{escape(outline.headline)}</h2>',
        f'<p style="margin:0 0 12px 0"><strong>{escape(outline.event_headline)}</strong>'
        f" — {escape(outline.title)}</p>",
    ]
    for part in outline.parts:
        if part.heading:
            body.append(f'<h3 style="margin:12px 0 4px 0">{escape(part.heading)}</h3>')
        body.append(_lines(part.lines))
    footer = escape(outline.footer)
    if outline.dashboard_url:
        footer += f' · <a href="{escape(outline.dashboard_url)}">Open in dashboard</a>'
    body.append(f'<p style="color:#868e96;font-size:12px">{footer}</p>')
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
        '<body style="font-family:sans-serif">\n' + "\n".join(body) + "\n</body></html>\n"
    )


def _lines(lines: tuple[Line, ...]) -> str:
    out: list[str] = []
    items: list[str] = []
    for line in lines:
        if line.style in ("bullet", "check"):
            mark = "☐ " if line.style == "check" else ""
            items.append(f"<li>{mark}{_inline(line)}</li>")
            continue
        if items:
            out.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if line.style == "quote":
            out.append(
                '<blockquote style="margin:4px 0;padding-left:8px;border-left:3px solid #ced4da">'
                f"{_inline(line)}</blockquote>"
            )
        elif line.style == "block":
            out.append(f'<pre style="white-space:pre-wrap">{escape(line.text)}</pre>')
        else:
            out.append(f'<div style="margin:2px 0">{_inline(line)}</div>')
    if items:
        out.append("<ul>" + "".join(items) + "</ul>")
    return "\n".join(out)


def _inline(line: Line) -> str:
    text = escape(line.text)
    if line.url:
        text += f' · <a href="{escape(line.url)}">{escape(line.url_label)}</a>'
    return text
