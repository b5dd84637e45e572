"""Scored mentions -> incidents, in the same transaction as the batch that stored them.

An incident is a story (``monitor.stories``) that crossed the risk threshold: one incident per
story, or per story and entity where ``incidents.per_entity`` says so. A mention graded at or
above ``incidents.floor`` joins its story's incident when the incident is active and was seen
within ``window`` of it, otherwise it opens the story's incident. Resolved and false-positive
incidents still collect their story's late evidence for ``reopen_within``; evidence at or
above a resolved incident's grade published after the resolution reopens it. A mention with
no story (never the case for ingested ones) opens an incident of its own.

Every mention, whatever its grade, counts towards volume. When an entity's volume spikes, the
spike belongs to the story that drives it (at least ``spike_story_share`` of the wave): its
incident records the spike, or the story opens its incident on volume. A spike no story
drives opens an incident of its own, on volume alone (category None, no story).

Fast by construction: per batch, one query reads light rows of the candidate incidents, two
the volumes; mentions are matched in memory, then one query loads in full only the incidents
that received evidence. Incidents whose evidence is all older than ``window`` at ingest (a
backfill of old exports) are recorded but never escalated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session

from monitor.db.models import Incident, IncidentMention, Mention, MentionEntity
from monitor.incidents.aggregate import ScoredMention, Tracked, assess_incident, make_title
from monitor.incidents.context import IncidentContext
from monitor.incidents.escalation import active_silences
from monitor.incidents.finish import AssignResult, finish_incident
from monitor.incidents.spikes import ALL, VolumeReading, bucket_of, read_volume, record_volume
from monitor.incidents.states import ACTIVE, CLOSED, OPEN, RESOLVED
from playbooks import grade_rank

Key = tuple[int, str | None]  # (story, entity when incidents are per entity)


class IncidentIndex:
    """The incidents a batch can join, by story (and entity) and, for volume, by entity."""

    def __init__(self, ctx: IncidentContext) -> None:
        self.ctx = ctx
        self.by_id: dict[int, Tracked] = {}
        self.by_key: dict[Key, list[Tracked]] = defaultdict(list)
        self.by_entity: dict[str, list[Tracked]] = defaultdict(list)

    def key(self, story: int, entity: str | None) -> Key:
        return (story, entity if self.ctx.rules.per_entity else None)

    def load(
        self, session: Session, *, stories: Iterable[int], entities: Iterable[str],
        oldest: datetime,
    ) -> None:
        """Light rows of the batch's stories' incidents, and of its entities' volume incidents."""
        rules = self.ctx.rules
        recent = or_(
            and_(Incident.state.in_(ACTIVE), Incident.last_seen_at >= oldest - rules.window),
            and_(Incident.state.in_(CLOSED), Incident.resolved_at >= oldest - rules.reopen_within),
        )
        wanted = sorted(set(stories))
        if wanted:
            self._load_light(session, Incident.story_id.in_(wanted), recent)
        volume = sorted(set(entities))
        if volume:
            self._load_light(
                session, Incident.story_id.is_(None), Incident.entity_id.in_(volume), recent
            )

    def _load_light(self, session: Session, *where: Any) -> None:
        i = Incident
        stmt = select(
            i.id, i.story_id, i.entity_id, i.category, i.state, i.grade, i.resolved_at,
            i.first_seen_at, i.last_seen_at,
        ).where(*where)
        for row in session.connection().execute(stmt):
            if row.id not in self.by_id:
                self.add(Tracked.light(row))

    def attach(self, session: Session) -> None:
        """Load in full, with one query, every known incident that received evidence."""
        wanted = {t.incident_id: t for t in self.by_id.values()
                  if t.incident is None and t.new_mentions}
        if wanted:
            for incident in session.scalars(select(Incident).where(Incident.id.in_(wanted))):
                wanted[incident.id].attach(incident)

    def add(self, tracked: Tracked) -> None:
        if tracked.incident_id is not None:
            self.by_id[tracked.incident_id] = tracked
        if tracked.story_id is not None:
            self.by_key[self.key(tracked.story_id, tracked.entity_id)].append(tracked)
        self.by_entity[tracked.entity_id].append(tracked)

    def joinable(self, tracked: Tracked, mention: ScoredMention) -> bool:
        rules = self.ctx.rules
        if mention.at < tracked.first_seen - rules.window:
            return False
        if tracked.state in ACTIVE:
            return mention.at <= tracked.last_seen + rules.window
        closed = tracked.resolved_at
        return closed is not None and mention.at <= closed + rules.reopen_within

    def best(self, candidates: Iterable[Tracked], mention: ScoredMention) -> Tracked | None:
        usable = [t for t in candidates if self.joinable(t, mention)]
        if not usable:
            return None
        return max(usable, key=lambda t: (t.state in ACTIVE, t.last_seen))

    def find(self, mention: ScoredMention) -> Tracked | None:
        """The incident of the mention's story it joins, if any."""
        if mention.story is None:
            return None
        for entity in mention.entities if self.ctx.rules.per_entity else (None,):
            found = self.best(self.by_key.get(self.key(mention.story, entity), ()), mention)
            if found is not None:
                return found
        return None


def new_incident(
    *, ctx: IncidentContext, entity_id: str, category: str | None, first: ScoredMention,
    story: int | None, now: datetime,
) -> Incident:
    """A fresh open incident (not yet added to a session)."""
    return Incident(
        entity_id=entity_id, category=category, state=OPEN, grade=first.grade,
        peak_grade=first.grade, likelihood=first.likelihood or 1, impact=first.impact or 1,
        reasons=list(first.reasons), title=make_title(
            ctx=ctx, entity_id=entity_id, category=category, text=first.text
        ),
        first_seen_at=first.at, last_seen_at=first.at, opened_at=now, updated_at=now,
        mention_count=0, negative_count=0, neutral_count=0, positive_count=0, reach_total=0,
        top_sources=[], top_authors=[], drill=ctx.drill, stats={}, story_id=story,
        categories={},
    )


def assign_incidents(
    session: Session, *, ctx: IncidentContext, mentions: Sequence[ScoredMention], now: datetime
) -> AssignResult:
    """Group a batch of newly stored, scored mentions (oldest first) into their stories'
    incidents and alert what is due."""
    result = AssignResult()
    result.mentions = len(mentions)
    if not mentions:
        return result
    rules = ctx.rules
    readings = _count_volume(session, ctx=ctx, mentions=mentions, now=now)
    floor = grade_rank(rules.floor)
    eligible = [m for m in mentions if m.rank >= floor]
    index = IncidentIndex(ctx)
    # A spike may open or join an incident even when no mention is above the floor.
    spiking = rules.spike.open_incidents and any(r.spiking for r in readings.values())
    joiners = eligible or (mentions if spiking else [])
    if joiners:
        index.load(
            session,
            stories={m.story for m in joiners if m.story is not None},
            entities={e for m in joiners for e in m.entities} if spiking else (),
            oldest=min(m.at for m in joiners),
        )
    fresh: list[Tracked] = []
    links: list[tuple[Tracked, ScoredMention]] = []
    for mention in eligible:  # decide on light rows; nothing is loaded in full yet
        tracked = index.find(mention)
        if tracked is None:
            tracked = _open(ctx, index, mention, category=mention.category, now=now)
            fresh.append(tracked)
        elif tracked.state in CLOSED:
            if (
                tracked.state == RESOLVED
                and tracked.resolved_at is not None
                and mention.at > tracked.resolved_at
                and mention.rank >= grade_rank(tracked.grade)
            ):
                tracked.state = OPEN
                tracked.reopened = True
            else:
                tracked.closed_join = True
        tracked.see(mention)
        tracked.new_mentions.append(mention.id)
        links.append((tracked, mention))
        result.assigned += 1
    index.attach(session)
    for tracked, mention in links:
        tracked.add(mention, ctx=ctx)
    for tracked in index.by_id.values():
        if tracked.reopened:
            tracked.row.state = OPEN
    if rules.spike.open_incidents:
        fresh.extend(_spike_incidents(session, ctx=ctx, index=index, mentions=mentions,
                                      readings=readings, links=links, now=now))
    for tracked in fresh:
        session.add(tracked.row)
    session.flush()
    for tracked in fresh:
        tracked.incident_id = tracked.row.id
        index.by_id[tracked.row.id] = tracked
    if links:
        # on the connection: the rows need none of the ORM's bulk-insert bookkeeping
        session.connection().execute(
            insert(IncidentMention),
            [{"incident_id": t.row.id, "mention_id": m.id} for t, m in links],
        )
    touched = [t for t in index.by_id.values() if t.dirty]
    missing = {(t.entity_id, t.category or ALL) for t in touched} - set(readings)
    readings.update(
        read_volume(session, keys=missing, now=now, rules=rules.spike, cache=ctx.cache)
    )
    silences = active_silences(session, now=now) if touched else []
    with session.no_autoflush:  # enqueue_alert flushes the outbox rows it writes
        for tracked in touched:
            finish_incident(session, ctx=ctx, tracked=tracked, readings=readings, now=now,
                            silences=silences, result=result)
    session.flush()
    return result


def _open(
    ctx: IncidentContext, index: IncidentIndex, first: ScoredMention, *, category: str | None,
    now: datetime,
) -> Tracked:
    """A new incident of ``first``'s story, on its most specific entity."""
    tracked = Tracked.wrap(new_incident(
        ctx=ctx, entity_id=first.entities[0], category=category, first=first,
        story=first.story, now=now,
    ))
    tracked.is_new = True
    index.add(tracked)
    return tracked


def _count_volume(
    session: Session, *, ctx: IncidentContext, mentions: Sequence[ScoredMention], now: datetime
) -> dict[tuple[str, str], VolumeReading]:
    span = ctx.rules.spike.span
    counts: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0])
    for m in mentions:
        bucket = bucket_of(m.at, span)
        negative = 1 if m.sentiment == "negative" else 0
        for entity in m.entities:
            row = counts[(entity, ALL, bucket)]
            row[0] += 1
            row[1] += negative
            if m.category:
                row = counts[(entity, m.category, bucket)]
                row[0] += 1
                row[1] += negative
    record_volume(session, increments={k: (v[0], v[1]) for k, v in counts.items()}, span=span)
    keys = {(e, c) for e, c, _ in counts}
    return read_volume(session, keys=keys, now=now, rules=ctx.rules.spike, cache=ctx.cache)


def _spike_incidents(
    session: Session, *, ctx: IncidentContext, index: IncidentIndex,
    mentions: Sequence[ScoredMention], readings: dict[tuple[str, str], VolumeReading],
    links: list[tuple[Tracked, ScoredMention]], now: datetime,
) -> list[Tracked]:
    """Give each spiking entity's wave to the story driving it, or to a volume incident."""
    opened: list[Tracked] = []
    assigned = {m.id for _, m in links}
    recent = now - ctx.rules.spike.interval
    floor = grade_rank(ctx.rules.floor)
    for (entity, category), reading in sorted(readings.items()):
        if category != ALL or not reading.spiking:
            continue
        wave = [m for m in mentions if entity in m.entities and m.at >= recent]
        evidence = [m for m in wave if m.id not in assigned]
        story, share = _driver(session, entity=entity, since=recent)
        if story is not None and share >= ctx.rules.spike_story_share:
            taken = [m for m in evidence if m.story == story]
            if not taken:
                continue
            tracked = index.find(taken[0])
            first = max(taken, key=lambda m: (m.rank, -m.id))
            opens: tuple[str, str | None, int | None] = (first.entities[0], first.category,
                                                         story)
        else:
            if not evidence or len(evidence) * 2 <= len(wave):
                continue  # mostly evidence of incidents (perhaps of a related entity) already
            volume = [t for t in index.by_entity.get(entity, ())
                      if t.story_id is None and t.category is None and t.state in ACTIVE]
            tracked = index.best(volume, evidence[0])
            taken, first = evidence, evidence[0]
            opens = (entity, None, None)
        if tracked is not None and tracked.incident is None:
            loaded = session.get(Incident, tracked.incident_id)
            if loaded is None:
                continue
            tracked.attach(loaded)
        new = tracked is None
        if tracked is None:
            entity_id, category_id, story_id = opens
            tracked = Tracked.wrap(new_incident(
                ctx=ctx, entity_id=entity_id, category=category_id, first=first,
                story=story_id, now=now,
            ))
        for mention in taken:
            tracked.add(mention, ctx=ctx)
        if new:
            grade = assess_incident(tracked, ctx=ctx, spread=reading.spread_ratio).grade
            if grade_rank(grade) < floor:
                continue
            tracked.is_new = True
            opened.append(tracked)
            index.add(tracked)
        tracked.new_mentions.extend(m.id for m in taken)
        links.extend((tracked, m) for m in taken)
        assigned.update(m.id for m in taken)
    return opened


def _driver(session: Session, *, entity: str, since: datetime) -> tuple[int | None, float]:
    """The story with the most of ``entity``'s mentions since ``since`` (this batch's too),
    and its share of them."""
    rows = session.execute(
        select(Mention.story_id, func.count())
        .join(MentionEntity, MentionEntity.mention_id == Mention.id)
        .where(MentionEntity.entity_id == entity, Mention.published_at >= since)
        .group_by(Mention.story_id)
    ).all()
    total = sum(n for _, n in rows)
    counts = [(story, n) for story, n in rows if story is not None]
    if not counts or not total:
        return None, 0.0
    story, n = min(counts, key=lambda kv: (-kv[1], kv[0]))
    return int(story), n / total
