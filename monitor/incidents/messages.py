"""The AlertMessage for one incident event: a snapshot channels render without any lookups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.message import AlertMessage, MentionRef, ScriptRef
from alerts.sanitize import one_line
from alerts.times import format_time
from monitor.collectors.base import with_title
from monitor.db.models import Incident, Mention, Story
from monitor.incidents.aggregate import EXCERPT_CHARS
from monitor.incidents.context import IncidentContext
from monitor.incidents.story_views import story_line
from playbooks import (
    EscalationError,
    EscalationState,
    Playbook,
    ResponseScript,
    fill_script,
    format_duration,
    offerable_scripts,
    select_playbook,
    unfilled_placeholders,
)

MAX_SCRIPTS = 6
GENERAL = "general"


@dataclass(frozen=True)
class OfferedScript:
    """An approved script filled for one incident, with what a person must still fill in."""

    script: ResponseScript
    text: str
    unfilled: tuple[str, ...]


def playbook_for(incident: Incident, ctx: IncidentContext) -> Playbook | None:
    """The playbook driving the incident (its escalation's), else the one for its grade."""
    found = ctx.playbook_named(incident.playbook)
    if found is not None:
        return found
    grade = incident.peak_grade or incident.grade
    return select_playbook(playbooks=ctx.playbooks, grade=grade, category=incident.category)


def escalation_state(incident: Incident) -> EscalationState | None:
    """The stored escalation state, or None when there is none or it cannot be read."""
    if not incident.escalation:
        return None
    try:
        return EscalationState.from_dict(incident.escalation)
    except EscalationError:
        return None


def local_date(moment: datetime, timezone: str) -> str:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%Y-%m-%d")


def script_values(
    incident: Incident, ctx: IncidentContext, now: datetime, lang: str
) -> dict[str, str]:
    """Placeholder values for a script in ``lang``: configured ones, then brand/product from
    the entity (named in that language), id, date."""
    kind = ctx.entity_kinds.get(incident.entity_id)
    name = ctx.entity_name(incident.entity_id, lang)
    values = dict(ctx.placeholders)
    organisation = ctx.organisation_name(lang) if ctx.organisation else name
    values.setdefault("brand", name if kind == "brand" else organisation)
    if kind == "product":
        values.setdefault("product", name)
    if ctx.hotline:
        values["hotline"] = ctx.hotline
    values["incident_id"] = str(incident.id)
    values["date"] = local_date(now, ctx.timezone)
    return values


def offered_scripts(
    incident: Incident,
    *,
    ctx: IncidentContext,
    playbook: Playbook | None,
    now: datetime,
    lang: str | None = None,
) -> list[OfferedScript]:
    """Approved, unchanged, unexpired scripts of the playbook for the incident's scenario."""
    if playbook is None:
        return []
    scenario = incident.category or GENERAL
    chosen = offerable_scripts(
        scripts=ctx.scripts, ids=playbook.scripts, now=now, lang=lang, scenario=scenario
    )
    if not chosen and lang is not None:
        chosen = offerable_scripts(
            scripts=ctx.scripts, ids=playbook.scripts, now=now, scenario=scenario
        )
    offered = []
    for s in chosen[:MAX_SCRIPTS]:
        values = script_values(incident, ctx, now, s.lang)
        offered.append(OfferedScript(
            script=s,
            text=fill_script(script=s, values=values),
            unfilled=unfilled_placeholders(script=s, values=values),
        ))
    return offered


def auto_reply(
    incident: Incident, *, ctx: IncidentContext, playbook: Playbook, now: datetime
) -> dict[str, str] | None:
    """The playbook's off-hours auto-reply for this incident, filled and ready to post
    (``script``, ``lang``, ``text``): the first approved one in the incident's main language,
    else the first approved one; None when it has none."""
    ids = playbook.off_hours.auto_reply
    if not ids:
        return None
    langs = (incident.stats or {}).get("langs")
    lang = max(langs, key=lambda k: langs[k]) if isinstance(langs, dict) and langs else None
    chosen = offerable_scripts(scripts=ctx.scripts, ids=ids, now=now, lang=lang) if lang else []
    chosen = chosen or offerable_scripts(scripts=ctx.scripts, ids=ids, now=now)
    if not chosen:
        return None
    script = chosen[0]
    text = fill_script(script=script, values=script_values(incident, ctx, now, script.lang))
    return {"script": script.id, "lang": script.lang, "text": text}


def sla_due(
    incident: Incident, *, playbook: Playbook | None
) -> tuple[datetime | None, datetime | None] | None:
    """When the acknowledgement and the first public response are due (None once done), or
    None without a playbook."""
    if playbook is None:
        return None
    start = _sla_start(incident)
    ack = start + playbook.sla.time_to_ack if incident.acknowledged_at is None else None
    respond = (start + playbook.sla.time_to_first_response
               if incident.responded_at is None else None)
    return ack, respond


def sla_lines(incident: Incident, playbook: Playbook | None, zone: str) -> tuple[str, ...]:
    """``acknowledge within 15m (by 2026-11-18 18:15 UTC+8)`` and the first public response
    target, or when and by whom each was done (times in ``zone``)."""
    if playbook is None:
        return ()
    start = _sla_start(incident)
    if incident.acknowledged_at is not None:
        ack = (f"acknowledged {format_time(incident.acknowledged_at, zone)} "
               f"by {incident.acknowledged_by}")
    else:
        ack = (f"acknowledge within {format_duration(playbook.sla.time_to_ack)} "
               f"(by {format_time(start + playbook.sla.time_to_ack, zone)})")
    if incident.responded_at is not None:
        respond = (f"first public response {format_time(incident.responded_at, zone)} "
                   f"by {incident.responded_by}")
    else:
        target = playbook.sla.time_to_first_response
        respond = (f"first public response within {format_duration(target)} "
                   f"(by {format_time(start + target, zone)})")
    return ack, respond


def _sla_start(incident: Incident) -> datetime:
    """SLA clocks run from the escalation's start when it has one, else the opening."""
    state = escalation_state(incident)
    return state.started_at if state is not None else incident.opened_at


def checklist_lines(playbook: Playbook | None) -> tuple[str, ...]:
    if playbook is None:
        return ()
    return tuple(
        f"{item.owner}: {item.text}" if item.owner else item.text for item in playbook.checklist
    )


def top_mentions(session: Session, incident: Incident) -> list[Mention]:
    """The incident's strongest mentions (by grade, then reach and engagement)."""
    ids = [int(row[-1]) for row in (incident.stats or {}).get("top", [])]
    if not ids:
        return []
    found = {m.id: m for m in session.scalars(select(Mention).where(Mention.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def mention_ref(mention: Mention) -> MentionRef:
    return MentionRef(
        excerpt=one_line(with_title(mention.title, mention.text), EXCERPT_CHARS),
        source=mention.source_id,
        url=mention.url,
        author=mention.author,
        published=mention.published_at,
    )


def build_message(
    session: Session,
    *,
    incident: Incident,
    event: str,
    ctx: IncidentContext,
    now: datetime,
    note: str | None = None,
    escalation_level: int = 0,
) -> AlertMessage:
    """Everything a channel shows for ``event`` of ``incident`` at ``now``."""
    playbook = playbook_for(incident, ctx)
    lang = (incident.stats or {}).get("langs")
    dominant = max(lang, key=lambda k: lang[k]) if isinstance(lang, dict) and lang else None
    scripts = offered_scripts(incident, ctx=ctx, playbook=playbook, now=now, lang=dominant)
    dashboard = (
        f"{ctx.dashboard_url.rstrip('/')}/incidents/{incident.id}" if ctx.dashboard_url else None
    )
    return AlertMessage(
        incident_id=f"{incident.id}@{ctx.drill_key}" if ctx.drill_key else str(incident.id),
        event=event,
        title=incident.title,
        grade=incident.peak_grade or incident.grade,
        entity=ctx.entity_name(incident.entity_id),
        likelihood=incident.likelihood,
        impact=incident.impact,
        status=incident.state,
        created_at=now,
        category=incident.category,
        story=_story_line(session, incident, now),
        reasons=tuple(str(r) for r in incident.reasons or ()),
        top_mentions=_with_reply_due(session, top_mentions(session, incident), ctx.drill_key),
        sla=sla_lines(incident, playbook, ctx.timezone),
        checklist=checklist_lines(playbook),
        scripts=tuple(ScriptRef(id=s.script.id, lang=s.script.lang, text=s.text) for s in scripts),
        escalation_level=escalation_level,
        drill=incident.drill,
        note=note,
        dashboard_url=dashboard,
        timezone=ctx.timezone,
    )


def _with_reply_due(
    session: Session, mentions: list[Mention], drill_key: str | None
) -> tuple[MentionRef, ...]:
    """The mentions' refs, those awaiting a reply with their id and deadline (for the
    "Replied" button)."""
    from dataclasses import replace

    from monitor.db.models import Reply, ReplyDeadline

    refs = [mention_ref(m) for m in mentions]
    ids = [m.id for m in mentions]
    if not ids:
        return tuple(refs)
    due: dict[int, datetime] = {mid: at for mid, at in session.execute(
        select(ReplyDeadline.mention_id, ReplyDeadline.due_at).where(
            ReplyDeadline.mention_id.in_(ids),
            ~select(Reply.id).where(Reply.mention_id == ReplyDeadline.mention_id).exists(),
        )
    )}
    return tuple(
        replace(ref, mention_id=f"{i}@{drill_key}" if drill_key else str(i), reply_due=due[i])
        if i in due else ref
        for ref, i in zip(refs, ids, strict=True)
    )


def _story_line(session: Session, incident: Incident, now: datetime) -> str | None:
    story = session.get(Story, incident.story_id) if incident.story_id is not None else None
    return story_line(story, now=now) if story is not None else None
