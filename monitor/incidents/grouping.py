"""Scored mentions -> incidents, in the same transaction as the batch that stored them.

A mention graded at or above ``incidents.floor`` joins, in this order: the incident holding
the mention it exactly repeats; an incident of the same entity and category whose evidence is
within ``window`` of it; an incident of the same entity whose texts it nearly duplicates
(reposts, syndicated copies); otherwise it opens a new incident on its most specific entity
(executive, product, brand, competitor, topic). Resolved and false-positive incidents still
collect their late evidence for ``reopen_within``; evidence at or above a resolved incident's
grade published after the resolution reopens it. Every mention, whatever its grade, counts
towards volume; a volume spike with no active incident to explain it opens one on volume alone
(category None).

Fast by construction: per batch, one query loads the mentions, one light rows of the
candidate incidents, one the originals of repeats, two the volumes; mentions are matched in
memory, then one query loads in full only the incidents that received evidence.
Incidents whose evidence is all older than ``window`` at ingest (a backfill of old exports)
are recorded but never escalated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.orm import Session

from monitor.db.models import Incident, IncidentMention
from monitor.incidents import fingerprint
from monitor.incidents.aggregate import ScoredMention, Tracked, assess_incident, make_title
from monitor.incidents.context import IncidentContext
from monitor.incidents.escalation import active_silences
from monitor.incidents.finish import AssignResult, finish_incident
from monitor.incidents.spikes import ALL, VolumeReading, bucket_of, read_volume, record_volume
from monitor.incidents.states import ACTIVE, CLOSED, RESOLVED
from playbooks import grade_rank


class IncidentIndex:
    """The incidents a batch can join, indexed by (entity, category) and by entity."""

    def __init__(self, ctx: IncidentContext) -> None:
        self.ctx = ctx
        self.by_id: dict[int, Tracked] = {}
        self.by_key: dict[tuple[str, str | None], list[Tracked]] = defaultdict(list)
        self.by_entity: dict[str, list[Tracked]] = defaultdict(list)
        self.max_bits = fingerprint.max_distance(ctx.rules.near_duplicate)

    def load(self, session: Session, *, entities: Iterable[str], oldest: datetime) -> None:
        """Light rows of every incident the batch's mentions could join."""
        rules = self.ctx.rules
        self._load_light(
            session,
            Incident.entity_id.in_(sorted(set(entities))),
            or_(
                and_(Incident.state.in_(ACTIVE), Incident.last_seen_at >= oldest - rules.window),
                and_(
                    Incident.state.in_(CLOSED),
                    Incident.resolved_at >= oldest - rules.reopen_within,
                ),
            ),
        )

    def load_ids(self, session: Session, ids: Iterable[int]) -> None:
        missing = sorted(set(ids) - set(self.by_id))
        if missing:
            self._load_light(session, Incident.id.in_(missing))

    def _load_light(self, session: Session, *where: Any) -> None:
        i = Incident
        stmt = select(
            i.id, i.entity_id, i.category, i.state, i.grade, i.resolved_at, i.signature,
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
        self.by_key[(tracked.entity_id, tracked.category)].append(tracked)
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

    def find(
        self, mention: ScoredMention, originals: dict[int, int]
    ) -> tuple[Tracked | None, int | None]:
        """The incident the mention joins (if any) and its fingerprint when one was computed."""
        if mention.duplicate_of is not None and mention.duplicate_of in originals:
            tracked = self.by_id.get(originals[mention.duplicate_of])
            if tracked is not None and self.joinable(tracked, mention):
                return tracked, None
        for entity in mention.entities:
            found = self.best(self.by_key.get((entity, mention.category), ()), mention)
            if found is not None:
                return found, None
        if not any(self.by_entity.get(e) for e in mention.entities):
            return None, None
        fp = fingerprint.simhash(mention.text)
        if fp is None:
            return None, None
        for entity in mention.entities:
            near = [
                t
                for t in self.by_entity.get(entity, ())
                if any(fingerprint.is_near(fp, other, self.max_bits) for other in t.fingerprints)
            ]
            found = self.best(near, mention)
            if found is not None:
                return found, fp
        return None, fp


def new_incident(
    *, ctx: IncidentContext, entity_id: str, category: str | None, first: ScoredMention,
    now: datetime,
) -> Incident:
    """A fresh open incident (not yet added to a session)."""
    return Incident(
        entity_id=entity_id, category=category, state="open", grade=first.grade,
        peak_grade=first.grade, likelihood=first.likelihood or 1, impact=first.impact or 1,
        reasons=list(first.reasons), title=make_title(
            ctx=ctx, entity_id=entity_id, category=category, text=first.text
        ),
        first_seen_at=first.at, last_seen_at=first.at, opened_at=now, updated_at=now,
        mention_count=0, negative_count=0, neutral_count=0, positive_count=0, reach_total=0,
        top_sources=[], top_authors=[], drill=ctx.drill, stats={},
    )


def assign_incidents(
    session: Session, *, ctx: IncidentContext, mentions: Sequence[ScoredMention], now: datetime
) -> AssignResult:
    """Group a batch of newly stored, scored mentions (oldest first) into incidents and alert
    what is due."""
    result = AssignResult()
    result.mentions = len(mentions)
    if not mentions:
        return result
    rules = ctx.rules
    readings = _count_volume(session, ctx=ctx, mentions=mentions, now=now)
    floor = grade_rank(rules.floor)
    eligible = [m for m in mentions if m.rank >= floor]
    index = IncidentIndex(ctx)
    # A spike may open a volume incident even when no mention is above the floor, and it must
    # then find the volume incident an earlier batch opened rather than open another.
    spiking = rules.spike.open_incidents and any(r.spiking for r in readings.values())
    joiners = eligible or (mentions if spiking else [])
    if joiners:
        index.load(
            session,
            entities={e for m in joiners for e in m.entities},
            oldest=min(m.at for m in joiners),
        )
    originals = _originals(session, [m.duplicate_of for m in eligible if m.duplicate_of])
    index.load_ids(session, originals.values())
    fresh: list[Tracked] = []
    links: list[tuple[Tracked, ScoredMention]] = []
    for mention in eligible:  # decide on light rows; nothing is loaded in full yet
        tracked, fp = index.find(mention, originals)
        if tracked is None:
            tracked = Tracked.wrap(
                new_incident(
                    ctx=ctx, entity_id=mention.entities[0], category=mention.category,
                    first=mention, now=now,
                )
            )
            tracked.is_new = True
            fresh.append(tracked)
            index.add(tracked)
        elif tracked.state in CLOSED:
            if (
                tracked.state == RESOLVED
                and tracked.resolved_at is not None
                and mention.at > tracked.resolved_at
                and mention.rank >= grade_rank(tracked.grade)
            ):
                tracked.state = "open"
                tracked.reopened = True
            else:
                tracked.closed_join = True
        if tracked.wants_fingerprint() and fp is None:
            fp = fingerprint.simhash(mention.text)
        tracked.note_fingerprint(fp)
        tracked.see(mention)
        tracked.new_mentions.append(mention.id)
        links.append((tracked, mention))
        result.assigned += 1
    index.attach(session)
    for tracked, mention in links:
        tracked.add(mention, ctx=ctx)
    for tracked in index.by_id.values():
        if tracked.reopened:
            tracked.row.state = "open"
    if rules.spike.open_incidents:
        fresh.extend(_volume_incidents(session, ctx=ctx, index=index, mentions=mentions,
                                       readings=readings, links=links, now=now))
    for tracked in fresh:
        session.add(tracked.row)
    session.flush()
    for tracked in fresh:
        tracked.incident_id = tracked.row.id
        index.by_id[tracked.row.id] = tracked
    if links:
        session.execute(
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


def _originals(session: Session, ids: Sequence[int]) -> dict[int, int]:
    """Mention id -> incident id for the originals of exact repeats."""
    if not ids:
        return {}
    rows = session.execute(
        select(IncidentMention.mention_id, IncidentMention.incident_id).where(
            IncidentMention.mention_id.in_(sorted(set(ids)))
        )
    )
    return {mention_id: incident_id for mention_id, incident_id in rows}


def _volume_incidents(
    session: Session, *, ctx: IncidentContext, index: IncidentIndex,
    mentions: Sequence[ScoredMention], readings: dict[tuple[str, str], VolumeReading],
    links: list[tuple[Tracked, ScoredMention]], now: datetime,
) -> list[Tracked]:
    """Open an incident on volume alone for each spiking entity nothing else explains."""
    opened: list[Tracked] = []
    assigned = {m.id for _, m in links}
    recent = now - ctx.rules.spike.interval
    floor = grade_rank(ctx.rules.floor)
    for (entity, category), reading in sorted(readings.items()):
        if category != ALL or not reading.spiking:
            continue
        active = [t for t in index.by_entity.get(entity, ()) if t.state in ACTIVE]
        if any(t.last_seen >= recent and t.category for t in active):
            continue  # an incident is already collecting this wave
        wave = [m for m in mentions if entity in m.entities and m.at >= recent]
        evidence = [m for m in wave if m.id not in assigned]
        if not evidence or len(evidence) * 2 <= len(wave):
            continue  # mostly evidence of incidents (perhaps of a related entity) already
        existing = index.best(
            [t for t in index.by_key.get((entity, None), ()) if t.state in ACTIVE], evidence[0]
        )
        if existing is not None and existing.incident is None:
            loaded = session.get(Incident, existing.incident_id)
            if loaded is None:
                continue
            existing.attach(loaded)
        tracked = existing or Tracked.wrap(
            new_incident(ctx=ctx, entity_id=entity, category=None, first=evidence[0], now=now)
        )
        for mention in evidence:
            tracked.add(mention, ctx=ctx)
        if existing is None:
            grade = assess_incident(tracked, ctx=ctx, spread=reading.spread_ratio).grade
            if grade_rank(grade) < floor:
                continue
            tracked.is_new = True
            opened.append(tracked)
            index.add(tracked)
        tracked.new_mentions.extend(m.id for m in evidence)
        links.extend((tracked, m) for m in evidence)
        assigned.update(m.id for m in evidence)
    return opened
