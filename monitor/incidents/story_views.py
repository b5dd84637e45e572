"""Read-only views of stories for the CLI, alerts and the digest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from alerts.sanitize import one_line
from monitor.collectors.base import with_title
from monitor.db.models import Incident, Mention, MentionEntity, Story, StoryLink
from monitor.incidents.aggregate import EXCERPT_CHARS


def list_stories(
    session: Session,
    *,
    since: datetime | None = None,
    entity: str | None = None,
    limit: int = 50,
    with_mentions: bool = False,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Stories seen since ``since`` (merged-away ones left out), latest activity first."""
    stmt = _stories(select(Story), since=since, entity=entity)
    rows = list(session.scalars(stmt.order_by(Story.last_seen_at.desc(), Story.id.desc())
                                .limit(limit).offset(offset)))
    incidents = _incidents_of(session, [r.id for r in rows])
    out = [story_summary(r, incident=incidents.get(r.id)) for r in rows]
    if with_mentions and rows:
        members: dict[int, list[dict[str, Any]]] = {r.id: [] for r in rows}
        found = session.execute(
            select(Mention.story_id, Mention.id, Mention.source_id, Mention.external_id,
                   Mention.published_at)
            .where(Mention.story_id.in_(list(members)))
            .order_by(Mention.published_at, Mention.id)
        )
        for story_id, mid, source, external, published in found:
            if story_id is not None:
                members[story_id].append({"id": mid, "source_id": source,
                                          "external_id": external,
                                          "published_at": published.isoformat()})
        for item in out:
            item["mentions"] = members[item["id"]]
    return out


def count_stories(session: Session, *, since: datetime | None = None,
                  entity: str | None = None) -> int:
    """How many stories ``list_stories`` would give with no limit."""
    stmt = _stories(select(func.count()).select_from(Story), since=since, entity=entity)
    return int(session.scalar(stmt) or 0)


def story_detail(session: Session, *, story_id: int, mentions: int = 200) -> dict[str, Any]:
    """One story with its incident and its first ``mentions`` mentions (id, source, author,
    time, excerpt); LookupError when there is none with that id."""
    story = session.get(Story, story_id)
    if story is None:
        raise LookupError(f"no story #{story_id}")
    data = story_summary(story, incident=_incidents_of(session, [story.id]).get(story.id))
    data["merged_into"] = story.merged_into
    data["related"] = related_stories(session, story.id)
    rows = session.scalars(select(Mention).where(Mention.story_id == story.id)
                           .order_by(Mention.published_at, Mention.id).limit(mentions))
    data["mentions"] = [
        {"id": m.id, "source_id": m.source_id, "external_id": m.external_id, "url": m.url,
         "author": m.author, "published_at": m.published_at.isoformat(),
         "excerpt": one_line(with_title(m.title, m.text), EXCERPT_CHARS)}
        for m in rows
    ]
    return data


def _stories(stmt: Select[Any], *, since: datetime | None, entity: str | None) -> Select[Any]:
    stmt = stmt.where(Story.merged_into.is_(None))
    if since is not None:
        stmt = stmt.where(Story.last_seen_at >= since)
    if entity is not None:
        stmt = stmt.where(Story.id.in_(
            select(Mention.story_id).join(MentionEntity, MentionEntity.mention_id == Mention.id)
            .where(MentionEntity.entity_id == entity)
        ))
    return stmt


def story_summary(story: Story, *, incident: int | None) -> dict[str, Any]:
    """One story as the CLI and the JSON output show it."""
    categories = dict(story.categories or {})
    total = sum(categories.values())
    return {
        "id": story.id,
        "title": story.title,
        "first_seen_at": story.first_seen_at.isoformat(),
        "last_seen_at": story.last_seen_at.isoformat(),
        "mention_count": story.mention_count,
        "negative": story.negative_count,
        "sources": dict(sorted((story.sources or {}).items(), key=lambda kv: -kv[1])),
        "entities": dict(sorted((story.entities or {}).items(), key=lambda kv: -kv[1])),
        "categories": {k: round(v / total, 3) for k, v in
                       sorted(categories.items(), key=lambda kv: -kv[1])} if total else {},
        "incident_id": incident,
    }


def story_line(story: Story, *, now: datetime) -> str:
    """``3 sources, 41 mentions, first seen 2 h ago`` (alerts, ``incident show``)."""
    sources = len(story.sources or {})
    return (f"{sources} source{'s' if sources != 1 else ''}, {story.mention_count} "
            f"mention{'s' if story.mention_count != 1 else ''}, first seen "
            f"{_ago(now - story.first_seen_at)}")


def _ago(delta: Any) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 3600:
        return f"{max(seconds // 60, 1)} min ago"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def _incidents_of(session: Session, stories: list[int]) -> dict[int, int]:
    """The latest incident of each story."""
    if not stories:
        return {}
    rows = session.execute(
        select(Incident.story_id, Incident.id).where(
            Incident.story_id.in_(stories), Incident.merged_into.is_(None)
        ).order_by(Incident.id)
    )
    return {int(story): int(incident) for story, incident in rows if story is not None}


def related_stories(session: Session, story_id: int | None) -> list[int]:
    """Stories a responder linked to this one (``crisiswatch incident link``)."""
    if story_id is None:
        return []
    rows = session.execute(
        select(StoryLink.story_id, StoryLink.other_id).where(
            (StoryLink.story_id == story_id) | (StoryLink.other_id == story_id)
        )
    )
    return sorted({b if a == story_id else a for a, b in rows})
