"""A review exported as a document of its own: Markdown, or Confluence storage format.

Both hold the same parts: the incident's facts, the summary, the timeline generated from the
incident, causes, what went well and badly, action items (owner, due, state, who changed it
and when, Jira key) and proposed revisions. Confluence storage format is XHTML: every piece of
text, stored or outside, is escaped, so a page can be created from it through Confluence's
REST API or pasted into its source editor.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from alerts.sanitize import one_line
from alerts.times import format_time
from monitor.incidents.report import md, review_sections, when
from monitor.incidents.reviews import ActionView, ReviewView

FORMATS = ("md", "confluence")


def review_markdown(view: ReviewView, *, zone: str) -> str:
    """The review as one Markdown document."""
    resolved = when(view.resolved_at, zone) if view.resolved_at is not None else "not yet"
    out = [
        f"# Review (复盘): incident #{view.incident_id}: {md(view.incident_title, 200)}",
        "",
        "| | |",
        "|---|---|",
        f"| State | {md(view.incident_state)}{' (drill)' if view.drill else ''} |",
        f"| Grade | {md(view.grade)} (peak {md(view.peak_grade)}) |",
        f"| Opened | {when(view.opened_at, zone)} |",
        f"| Resolved | {resolved} |",
        "",
        "## Timeline",
        *([f"- {when(e.at, zone)} — {md(e.text, 400)}" for e in view.timeline] or ["_No events._"]),
        "",
        *review_sections(view, zone=zone, level=2),
    ]
    return "\n".join(out)


def _e(text: object, limit: int = 2000) -> str:
    """Outside or stored text as one escaped XHTML line."""
    return escape(one_line(str(text) if text is not None else "", limit), quote=True)


def _t(moment: datetime | None, zone: str) -> str:
    return _e(format_time(moment, zone)) if moment is not None else "—"


def _list(values: tuple[str, ...]) -> str:
    if not values:
        return "<p><em>None recorded.</em></p>"
    return "<ul>" + "".join(f"<li>{_e(v)}</li>" for v in values) + "</ul>"


def _row(cells: list[str], tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>"


def _action_row(a: ActionView, zone: str) -> str:
    state = _e(a.state) + (" <strong>(overdue)</strong>" if a.overdue else "")
    return _row(
        [
            str(a.id),
            _e(a.text),
            _e(a.owner, 128),
            _t(a.due_at, zone),
            state,
            f"{_e(a.state_changed_by, 128)}, {_t(a.state_changed_at, zone)}",
            _e(a.jira_key or "—"),
        ]
    )


def review_confluence(view: ReviewView, *, zone: str) -> str:
    """The review in Confluence storage format (XHTML), every text escaped."""
    if view.completed_at is not None:
        status = f"Completed by {_e(view.completed_by, 128)} at {_t(view.completed_at, zone)}."
    elif view.stored:
        status = "Draft."
    else:
        status = "No review stored yet."
    if view.updated_at is not None:
        status += f" Last edited by {_e(view.updated_by, 128)} at {_t(view.updated_at, zone)}."
    facts = [
        ("State", _e(view.incident_state) + (" (drill)" if view.drill else "")),
        ("Grade", f"{_e(view.grade)} (peak {_e(view.peak_grade)})"),
        ("Opened", _t(view.opened_at, zone)),
        ("Resolved", _t(view.resolved_at, zone) if view.resolved_at else "not yet"),
    ]
    summary = "".join(f"<p>{_e(line)}</p>" for line in view.summary.splitlines() if line.strip())
    timeline = "".join(f"<li>{_t(e.at, zone)} — {_e(e.text, 400)}</li>" for e in view.timeline)
    actions = (
        "<table><tbody>"
        + _row(["#", "Action", "Owner", "Due", "State", "Changed", "Jira"], "th")
        + "".join(_action_row(a, zone) for a in view.actions)
        + "</tbody></table>"
        if view.actions
        else "<p><em>None recorded.</em></p>"
    )
    parts = [
        f"<h1>Review (复盘): incident #{view.incident_id}: {_e(view.incident_title, 200)}</h1>",
        f"<p>{status}</p>",
        "<table><tbody>"
        + "".join(_row([f"<strong>{k}</strong>", v]) for k, v in facts)
        + "</tbody></table>",
        "<h2>Summary</h2>",
        summary or "<p><em>None recorded.</em></p>",
        "<h2>Timeline</h2>",
        f"<ul>{timeline}</ul>" if timeline else "<p><em>No events.</em></p>",
        "<h2>Causes</h2>",
        _list(view.causes),
        "<h2>What went well</h2>",
        _list(view.went_well),
        "<h2>What went badly</h2>",
        _list(view.went_badly),
        "<h2>Action items</h2>",
        actions,
        "<h2>Proposed playbook and script revisions</h2>",
        _list(view.revisions),
    ]
    return "\n".join(parts) + "\n"


def export_review(view: ReviewView, *, fmt: str, zone: str) -> str:
    """The review in ``fmt`` (one of FORMATS)."""
    if fmt == "confluence":
        return review_confluence(view, zone=zone)
    if fmt == "md":
        return review_markdown(view, zone=zone)
    raise ValueError(f"unknown review export format {fmt!r} (expected one of {FORMATS})")
