"""The period's top stories: most mentions published in the period, with a link to read one."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.db.models import Incident, Mention, Story
from monitor.digest.model import StoryRow
from monitor.digest.period import Period
from monitor.digest.story_links import story_links


def story_rows(session: Session, period: Period, limit: int) -> tuple[StoryRow, ...]:
    """The ``limit`` stories with most mentions in the period, most first."""
    in_period = (Mention.published_at >= period.start_at, Mention.published_at < period.end_at)
    counts = session.execute(
        select(Mention.story_id, func.count(), func.count(func.distinct(Mention.source_id)))
        .where(*in_period, Mention.story_id.is_not(None))
        .group_by(Mention.story_id)
        .order_by(func.count().desc(), Mention.story_id)
        .limit(limit)
    ).all()
    ids = [int(story) for story, _, _ in counts if story is not None]
    if not ids:
        return ()
    stories = {s.id: s for s in session.scalars(select(Story).where(Story.id.in_(ids)))}
    incidents: dict[int, tuple[int, str]] = {}
    for story_id, incident_id, grade in session.execute(
        select(Incident.story_id, Incident.id, Incident.peak_grade)
        .where(Incident.story_id.in_(ids), Incident.merged_into.is_(None))
        .order_by(Incident.id)
    ):
        if story_id is not None:
            incidents[int(story_id)] = (int(incident_id), str(grade))
    urls: dict[int, str] = {}
    for story_id, url in session.execute(
        select(Mention.story_id, Mention.url)
        .where(Mention.story_id.in_(ids), Mention.url.is_not(None), *in_period)
        .order_by(Mention.published_at, Mention.id)
    ):
        if story_id is not None and url and str(url).startswith(("http://", "https://")):
            urls.setdefault(int(story_id), str(url))
    links = story_links(session, period, ids)
    rows = []
    for story_id, mentions, sources in counts:
        row = stories.get(int(story_id)) if story_id is not None else None
        if row is None:
            continue
        incident = incidents.get(row.id)
        rows.append(StoryRow(
            id=row.id, title=row.title, mentions=int(mentions), sources=int(sources),
            first_seen_at=row.first_seen_at, last_seen_at=row.last_seen_at,
            incident_id=incident[0] if incident else None,
            grade=incident[1] if incident else None, url=urls.get(row.id),
            first_mention=links.get(row.id, (None, None))[0],
            top_mention=links.get(row.id, (None, None))[1],
        ))
    return tuple(rows)
