"""The post-incident report in Markdown: what happened, who was told, how fast, vs SLA, and
the stored review (复盘: causes, what went well and badly, action items, proposed revisions).

``review_sections`` is the one Markdown rendering of a stored review's conclusions; the
review's own export (monitor.incidents.review_export) uses it too."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.sanitize import one_line
from alerts.times import format_time
from monitor.db.models import Alert, Incident, IncidentEvent, Mention
from monitor.incidents.actors import shown
from monitor.incidents.context import IncidentContext
from monitor.incidents.lifecycle import LifecycleError
from monitor.incidents.messages import playbook_for, top_mentions
from monitor.incidents.reviews import ReviewView, review_view
from monitor.incidents.states import FALSE_POSITIVE
from monitor.incidents.views import paged
from playbooks import Playbook, format_duration, select_playbook

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~])")
_CLOCK_EVENTS = ("opened", "grade_changed", "reopened")


def md(text: object, limit: int = 300) -> str:
    """Untrusted text as one Markdown-inert line."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(str(text) if text is not None else "", limit))


def when(moment: datetime | None, zone: str) -> str:
    """A time in the organisation's zone, or a dash."""
    return format_time(moment, zone) if moment is not None else "—"


def span(delta: timedelta) -> str:
    return format_duration(timedelta(seconds=max(0, int(delta.total_seconds()))))


def sla_clock(
    incident: Incident, events: list[IncidentEvent], ctx: IncidentContext, *,
    until: datetime | None,
) -> tuple[datetime, Playbook | None]:
    """When an SLA clock running at ``until`` (None: still running) started, and under which
    playbook: the opening, or the last alert of a new grade or reopening before then."""
    last = until or datetime.max.replace(tzinfo=incident.opened_at.tzinfo)
    start, grade = incident.opened_at, incident.peak_grade
    for event in events:
        if event.at > last:
            break
        if event.kind == "alert" and event.detail.get("event") in _CLOCK_EVENTS:
            start, grade = event.at, event.grade or grade
        elif event.kind == "reopened":
            start = event.at
        elif event.kind == "held" and event.detail.get("starts_clock"):
            # Held off hours: the clock starts when working hours open (docs/oncall.md).
            start = max(start, datetime.fromisoformat(event.detail["until"]))
    playbook = select_playbook(playbooks=ctx.playbooks, grade=grade, category=incident.category)
    return start, playbook or playbook_for(incident, ctx)


def ack_clock(
    incident: Incident, events: list[IncidentEvent], ctx: IncidentContext
) -> tuple[datetime, Playbook | None]:
    """The acknowledgement clock's start and playbook (closing without an ack stops it too)."""
    return sla_clock(incident, events, ctx, until=incident.acknowledged_at or incident.resolved_at)


def _sla_row(measure: str, *, start: datetime, done: datetime | None, by: str | None,
             target: timedelta | None, playbook: Playbook | None, now: datetime,
             missing: str, zone: str) -> str:
    target_text = f"{span(target)} ({md(playbook.name)} playbook)" if playbook and target else "—"
    if done is not None:
        took = done - start
        verdict = "—"
        if target is not None:
            verdict = "met" if took <= target else f"missed by {span(took - target)}"
        actual = f"{span(took)} (by {md(by)}, {when(done, zone)})"
    elif target is None:
        actual, verdict = missing, "—"
    elif now - start > target:
        actual, verdict = missing, "missed"
    else:
        actual, verdict = missing, f"due by {when(start + target, zone)}"
    return f"| {measure} | {actual} | {target_text} | {verdict} |"


def _sla_rows(incident: Incident, events: list[IncidentEvent], ctx: IncidentContext) -> list[str]:
    now = ctx.clock()
    start, playbook = ack_clock(incident, events, ctx)
    rows = ["| Measure | Actual | Target | Result |", "|---|---|---|---|"]
    rows.append(_sla_row(
        "Time to acknowledge", start=start, done=incident.acknowledged_at,
        by=shown(incident.acknowledged_by, incident.acknowledged_person, ctx.roster),
        target=playbook.sla.time_to_ack if playbook else None,
        playbook=playbook, now=now, missing="not acknowledged", zone=ctx.timezone))
    start, playbook = sla_clock(incident, events, ctx, until=incident.responded_at)
    rows.append(_sla_row(
        "First public response", start=start, done=incident.responded_at,
        by=incident.responded_by,
        target=playbook.sla.time_to_first_response if playbook else None, playbook=playbook,
        now=now, missing="not recorded (`crisiswatch respond`)", zone=ctx.timezone))
    if incident.resolved_at is not None:
        label = "resolve" if incident.state != FALSE_POSITIVE else "close (false positive)"
        took = incident.resolved_at - incident.opened_at
        resolved = f"{span(took)} (by {md(incident.resolved_by)})"
        rows.append(f"| Time to {label} | {resolved} | no target | — |")
    else:
        rows.append(f"| Time to resolve | still {md(incident.state)} | no target | — |")
    return rows


def _event_line(event: IncidentEvent, zone: str) -> str:
    d = event.detail or {}
    who = f" by {md(event.actor)}" if event.actor else ""
    if event.kind == "alert":
        channels = ", ".join(md(c) for c in d.get("channels", [])) or "no channel"
        text = f"alert **{md(d.get('event'))}** level {d.get('level', 0)} to {channels}"
        if d.get("suppressed"):
            text += f" (suppressed: {md(d['suppressed'])})"
        if d.get("skipped_channels"):
            skipped = ", ".join(md(c) for c in d["skipped_channels"])
            text += f" (no such enabled channel: {skipped})"
        if d.get("people") or d.get("paging"):
            text += md(paged(d))
        if d.get("held"):
            text += "".join(f" ({md(c)} {md(why)})" for c, why in d["held"].items())
        if d.get("note"):
            text += f" — {md(d['note'])}"
    elif event.kind == "held":
        text = f"held: {md(d.get('note'))}"
        reply = d.get("auto_reply")
        if isinstance(reply, dict):
            script, words = md(reply.get("script")), md(reply.get("text"))
            text += f"; {md('auto-reply')} to post ({script}): {words}"
    elif event.kind == "evidence":
        text = f"{d.get('added', 0)} more mention(s), {d.get('total', '?')} in all"
    elif event.kind == "grade_changed":
        text = f"grade {md(d.get('previous'))} → {md(event.grade)}"
    else:
        text = md(event.kind.replace("_", " "))
        if d.get("script"):
            text += f" (script {md(d['script'])})"
        extra = d.get("note") or d.get("volume")
        if extra:
            text += f": {md(extra)}"
    return f"- {when(event.at, zone)} — {text}{who}"


def _mention_line(mention: Mention, zone: str) -> str:
    author = f", {md(mention.author, 80)}" if mention.author else ""
    reach = f" ({mention.author_reach:,} followers)" if mention.author_reach else ""
    link = f" — {md(mention.url, 200)}" if mention.url else ""
    return (
        f"{when(mention.published_at, zone)}, {md(mention.source_id)}{author}{reach}{link}\n"
        f"  > {md(mention.text, 400)}"
    )


def incident_report(session: Session, *, incident_id: int, ctx: IncidentContext) -> str:
    """The Markdown post-incident review of one incident."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise LifecycleError(f"no incident #{incident_id}")
    events = list(
        session.scalars(
            select(IncidentEvent)
            .where(IncidentEvent.incident_id == incident_id)
            .order_by(IncidentEvent.at, IncidentEvent.id)
        )
    )
    alerts = list(
        session.scalars(select(Alert).where(Alert.incident_id == incident_id).order_by(Alert.id))
    )
    first_id = (incident.stats or {}).get("first_mention")
    first = session.get(Mention, first_id) if first_id else None
    playbook = playbook_for(incident, ctx)
    zone = ctx.timezone
    kind = ctx.entity_kinds.get(incident.entity_id, "")
    grade = incident.grade if incident.grade == incident.peak_grade else (
        f"{incident.grade} (peak {incident.peak_grade})"
    )
    mix = (
        f"{incident.mention_count} ({incident.negative_count} negative, "
        f"{incident.neutral_count} neutral, {incident.positive_count} positive)"
    )
    out = [
        f"# Incident #{incident.id}: {md(incident.title, 200)}",
        "",
        "| | |",
        "|---|---|",
        f"| Entity | {md(ctx.entity_name(incident.entity_id))} ({md(kind or 'unknown kind')}) |",
        f"| Category | {md(incident.category or 'none (volume spike)')} |",
        f"| State | {md(incident.state)} |",
        f"| Grade | {md(grade)} |",
        f"| Risk matrix | likelihood {incident.likelihood} × impact {incident.impact} |",
        f"| Playbook | {md(playbook.name) if playbook else 'none'} |",
        f"| Opened | {when(incident.opened_at, zone)} |",
        f"| Evidence | {when(incident.first_seen_at, zone)} to "
        f"{when(incident.last_seen_at, zone)} |",
        f"| Mentions | {mix} |",
        f"| Reach | {incident.reach_total:,} |",
        f"| Recovered | {when(incident.recovered_at, zone)} |",
        f"| Drill | {'yes' if incident.drill else 'no'} |",
        "",
        "## Why this grade",
        *[f"- {md(r, 500)}" for r in incident.reasons or []],
        "",
        "## Response against the SLA",
        *_sla_rows(incident, events, ctx),
        "",
        "## First mention",
        _mention_line(first, zone) if first is not None else "not available",
        "",
        "## Strongest mentions",
        *[f"{i}. {_mention_line(m, zone)}"
          for i, m in enumerate(top_mentions(session, incident), 1)],
        "",
        "## Sources and authors",
        *[
            f"- {md(s.get('source'))}: {s.get('mentions', 0)} mention(s), "
            f"reach {s.get('reach', 0):,}"
            for s in (incident.top_sources or [])[:5]
        ],
        *[
            f"- {md(a.get('author'), 80)} on {md(a.get('source'))}: {_followers(a.get('reach'))}"
            for a in (incident.top_authors or [])[:5]
        ],
        "",
        "## Alerts and escalations",
        "| Created | Event | Channel | Status | Attempts | Sent | Note |",
        "|---|---|---|---|---|---|---|",
        *[
            f"| {when(a.created_at, zone)} | {md(a.event)} | {md(a.channel)} | {md(a.status)} | "
            f"{a.attempts} | {when(a.sent_at, zone)} | {md(a.last_error or '', 160)} |"
            for a in alerts
        ],
        "",
        "## Timeline",
        *[_event_line(e, zone) for e in events],
        "",
        "## Resolution",
        (
            f"{md(incident.state)} by {md(incident.resolved_by)} at "
            f"{when(incident.resolved_at, zone)}: "
            f"{md(incident.resolution_note or '', 2000)}"
            if incident.resolved_at is not None
            else f"Not resolved yet (state: {md(incident.state)})."
        ),
        "",
        *review_sections(review_view(session, incident_id=incident_id, now=ctx.clock()),
                         zone=zone, level=2),
    ]
    return "\n".join(out)


def _items(values: tuple[str, ...]) -> list[str]:
    return [f"- {md(v, 2000)}" for v in values] or ["_None recorded._"]


def review_sections(view: ReviewView, *, zone: str, level: int = 2) -> list[str]:
    """The review's conclusions as Markdown lines: its state, summary, causes, what went well
    and badly, action items and proposed revisions (headings at ``level``)."""
    h = "#" * level
    if not view.stored:
        return [
            f"{h} Review",
            f"No review stored yet: `crisiswatch incident review {view.incident_id}`.",
            "",
        ]
    if view.completed_at is not None:
        status = f"completed by {md(view.completed_by)} at {when(view.completed_at, zone)}"
    else:
        status = "draft"
    status += f"; last edited by {md(view.updated_by)} at {when(view.updated_at, zone)}"
    summary = [md(line, 2000) for line in view.summary.splitlines() if line.strip()]
    actions = [
        "| # | Action | Owner | Due | State | Changed | Jira |",
        "|---:|---|---|---|---|---|---|",
        *[
            f"| {a.id} | {md(a.text, 500)} | {md(a.owner, 80)} | {when(a.due_at, zone)} | "
            f"{a.state}{' (overdue)' if a.overdue else ''} | "
            f"{md(a.state_changed_by, 80)}, {when(a.state_changed_at, zone)} | "
            f"{md(a.jira_key or '—')} |"
            for a in view.actions
        ],
    ] if view.actions else ["_None recorded._"]
    return [
        f"{h} Review ({status})",
        "",
        f"{h}# Summary",
        *(summary or ["_None recorded._"]),
        "",
        f"{h}# Causes",
        *_items(view.causes),
        "",
        f"{h}# What went well",
        *_items(view.went_well),
        "",
        f"{h}# What went badly",
        *_items(view.went_badly),
        "",
        f"{h}# Action items",
        *actions,
        "",
        f"{h}# Proposed playbook and script revisions",
        *_items(view.revisions),
        "",
    ]


def _followers(reach: object) -> str:
    """A follower count; an author whose mentions gave none is unknown, not 0."""
    return f"{reach:,} followers" if isinstance(reach, int) else "followers unknown"
