"""Read-only views of incidents for the CLI and API: lists and one incident in full."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from alerts.sanitize import one_line
from monitor.db.models import Incident, IncidentEvent, Story
from monitor.incidents.actors import shown
from monitor.incidents.context import IncidentContext
from monitor.incidents.lifecycle import IncidentNotFound
from monitor.incidents.messages import (
    checklist_lines,
    escalation_state,
    mention_ref,
    offered_scripts,
    playbook_for,
    sla_due,
    sla_lines,
    top_mentions,
)
from monitor.incidents.states import ACTIVE
from monitor.incidents.story_views import related_stories, story_line
from playbooks import ALL_GRADES, grade_rank


def list_incidents(
    session: Session,
    *,
    open_only: bool = False,
    grade: str | None = None,
    entity: str | None = None,
    limit: int = 100,
    states: Sequence[str] | None = None,
    category: str | None = None,
    offset: int = 0,
    current_grade: str | None = None,
    entities: Collection[str] | None = None,
    categories: Collection[str] | None = None,
) -> list[Incident]:
    """Highest current grade first, then latest activity; ``grade`` means at least that grade
    (current or peak), ``current_grade`` exactly that current grade; ``entities`` and
    ``categories`` (a team's scope) keep the incidents about one of them."""
    rank = case({g: grade_rank(g) for g in ALL_GRADES}, value=Incident.grade, else_=0)
    order = (rank.desc(), Incident.last_seen_at.desc(), Incident.id.desc())
    page = _filtered(select(Incident.id), open_only=open_only, grade=grade, entity=entity,
                     states=states, category=category, entities=entities,
                     categories=categories)
    if current_grade:
        page = page.where(Incident.grade == current_grade)
    # the page's ids first, sorted from ix_incidents_queue alone, then only their rows: the
    # sort never reads the wide rows (several times faster over many incidents)
    page = page.order_by(*order).limit(limit).offset(offset)
    return list(session.scalars(
        select(Incident).where(Incident.id.in_(page.scalar_subquery())).order_by(*order)
    ))


def count_incidents(
    session: Session,
    *,
    open_only: bool = False,
    grade: str | None = None,
    entity: str | None = None,
    states: Sequence[str] | None = None,
    category: str | None = None,
) -> int:
    """How many incidents ``list_incidents`` would give with no limit."""
    stmt = _filtered(select(func.count()).select_from(Incident), open_only=open_only,
                     grade=grade, entity=entity, states=states, category=category)
    return int(session.scalar(stmt) or 0)


def count_by_grade(
    session: Session,
    *,
    open_only: bool = False,
    grade: str | None = None,
    entity: str | None = None,
    states: Sequence[str] | None = None,
    category: str | None = None,
    entities: Collection[str] | None = None,
    categories: Collection[str] | None = None,
) -> dict[str, int]:
    """How many incidents ``list_incidents`` would give with no limit, per current grade (one
    GROUP BY; grades with none are left out)."""
    stmt = _filtered(select(Incident.grade), open_only=open_only, grade=grade, entity=entity,
                     states=states, category=category, entities=entities,
                     categories=categories)
    per_grade = stmt.add_columns(func.count(Incident.id)).group_by(Incident.grade)
    return {str(g): int(n) for g, n in session.execute(per_grade)}


def _filtered(stmt: Select[Any], *, open_only: bool, grade: str | None, entity: str | None,
              states: Sequence[str] | None, category: str | None,
              entities: Collection[str] | None = None,
              categories: Collection[str] | None = None) -> Select[Any]:
    if open_only:
        stmt = stmt.where(Incident.state.in_(ACTIVE))
    if states is not None:
        stmt = stmt.where(Incident.state.in_(list(states)))
    if entity:
        stmt = stmt.where(Incident.entity_id == entity)
    if entities is not None:
        stmt = stmt.where(Incident.entity_id.in_(list(entities)))
    if category:
        stmt = stmt.where(Incident.category == category)
    if categories is not None:
        stmt = stmt.where(Incident.category.in_(list(categories)))
    if grade:
        wanted = [g for g in ALL_GRADES if grade_rank(g) >= grade_rank(grade)]
        stmt = stmt.where(Incident.peak_grade.in_(wanted))
    return stmt


def incident_summary(incident: Incident, ctx: IncidentContext) -> dict[str, Any]:
    return {
        "id": incident.id,
        "state": incident.state,
        "grade": incident.grade,
        "peak_grade": incident.peak_grade,
        "likelihood": incident.likelihood,
        "impact": incident.impact,
        "entity": incident.entity_id,
        "entity_name": ctx.entity_name(incident.entity_id),
        "category": incident.category,
        "categories": _shares(incident.categories),
        "story_id": incident.story_id,
        "merged_into": incident.merged_into,
        "title": incident.title,
        "mentions": incident.mention_count,
        "negative": incident.negative_count,
        "neutral": incident.neutral_count,
        "positive": incident.positive_count,
        "reach": incident.reach_total,
        "first_seen_at": incident.first_seen_at.isoformat(),
        "last_seen_at": incident.last_seen_at.isoformat(),
        "opened_at": incident.opened_at.isoformat(),
        "acknowledged_at": _iso(incident.acknowledged_at),
        "acknowledged_by": incident.acknowledged_by,
        "acknowledged_person": incident.acknowledged_person,
        "acknowledged_by_shown": shown(
            incident.acknowledged_by, incident.acknowledged_person, ctx.roster
        ),
        "resolved_at": _iso(incident.resolved_at),
        "resolved_by": incident.resolved_by,
        "responded_at": _iso(incident.responded_at),
        "responded_by": incident.responded_by,
        "playbook": incident.playbook,
        "next_due_at": _iso(incident.next_due_at),
        "spike_ratio": incident.spike_ratio,
        "recovered_at": _iso(incident.recovered_at),
        "drill": incident.drill,
    }


def incident_detail(
    session: Session, *, incident_id: int, ctx: IncidentContext, now: datetime
) -> dict[str, Any]:
    """Everything ``incident show`` prints: timeline, matrix, checklist, approved scripts."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise IncidentNotFound(f"no incident #{incident_id}")
    playbook = playbook_for(incident, ctx)
    state = escalation_state(incident)
    events = session.scalars(
        select(IncidentEvent)
        .where(IncidentEvent.incident_id == incident_id)
        .order_by(IncidentEvent.at, IncidentEvent.id)
    )
    langs = (incident.stats or {}).get("langs") or {}
    lang = max(langs, key=lambda k: langs[k]) if langs else None
    data = incident_summary(incident, ctx)
    story = session.get(Story, incident.story_id) if incident.story_id is not None else None
    data.update(
        {
            "story": story_line(story, now=now) if story is not None else None,
            "related": related_stories(session, incident.story_id),
            "reasons": list(incident.reasons or []),
            "resolution_note": incident.resolution_note,
            "escalation": state.to_dict() if state is not None else None,
            "sla": list(sla_lines(incident, playbook, ctx.timezone)),
            "sla_due": _due(sla_due(incident, playbook=playbook)),
            "playbook_name": playbook.name if playbook is not None else None,
            "checklist": list(checklist_lines(playbook)),
            "scripts": [
                {"id": s.script.id, "lang": s.script.lang, "title": s.script.title,
                 "text": s.text, "unfilled": list(s.unfilled)}
                for s in offered_scripts(incident, ctx=ctx, playbook=playbook, now=now, lang=lang)
            ],
            "top_mentions": [
                {
                    "id": mention.id,
                    "excerpt": ref.excerpt,
                    "source": ref.source,
                    "url": ref.url,
                    "author": ref.author,
                    "published": _iso(ref.published),
                }
                for mention in top_mentions(session, incident)
                for ref in (mention_ref(mention),)
            ],
            "top_sources": list(incident.top_sources or []),
            "top_authors": list(incident.top_authors or []),
            "timeline": [
                {"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor, "grade": e.grade,
                 "detail": e.detail}
                for e in events
            ],
        }
    )
    return data


def paged(detail: dict[str, Any]) -> str:
    """`` for li.na on risk-slack [no one on call for x: sent to y]``: who an escalation alert
    mentioned, where, and who it could not reach (empty for other alerts)."""
    people = detail.get("people") or {}
    text = "".join(f" for {', '.join(map(str, ids))} on {where}" for where, ids in people.items())
    warnings = "; ".join(map(str, detail.get("paging") or []))
    return text + (f" [{warnings}]" if warnings else "")


def describe_event(entry: dict[str, Any]) -> str:
    """One printable line for a timeline entry of ``incident_detail``."""
    detail = entry.get("detail") or {}
    kind = entry["kind"]
    if kind == "alert":
        channels = ", ".join(detail.get("channels") or []) or "no channel"
        text = f"alert {detail.get('event')} (level {detail.get('level', 0)}) -> {channels}"
        if detail.get("suppressed"):
            text += " [suppressed]"
        if detail.get("skipped_channels"):
            text += f" [no enabled channel: {', '.join(detail['skipped_channels'])}]"
        text += paged(detail)
        if detail.get("held"):
            text += f" [{'; '.join(f'{c} {why}' for c, why in detail['held'].items())}]"
    elif kind == "held":
        text = f"held: {detail.get('note')}"
        reply = detail.get("auto_reply")
        if isinstance(reply, dict):
            text += f"; auto-reply to post ({reply.get('script')}): {reply.get('text')}"
    elif kind == "evidence":
        text = f"+{detail.get('added', 0)} mention(s), {detail.get('total', '?')} in all"
    elif kind == "grade_changed":
        text = f"grade {detail.get('previous')} -> {entry.get('grade')}"
    else:
        text = kind.replace("_", " ")
        if detail.get("script"):
            text += f" (script {detail['script']})"
        extra = detail.get("note") or detail.get("volume")
        if extra:
            text += f": {extra}"
    if entry.get("actor"):
        text += f" by {entry['actor']}"
    return one_line(text, 300)


def _shares(mix: dict[str, Any] | None) -> dict[str, float]:
    total = sum(int(v) for v in (mix or {}).values())
    if not total:
        return {}
    return {k: round(int(v) / total, 3) for k, v in sorted((mix or {}).items(),
                                                            key=lambda kv: -int(kv[1]))}


def _due(due: tuple[datetime | None, datetime | None] | None) -> dict[str, str | None] | None:
    if due is None:
        return None
    return {"acknowledge_by": _iso(due[0]), "first_response_by": _iso(due[1])}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
