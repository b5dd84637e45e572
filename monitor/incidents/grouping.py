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

Fast by construction: per batch, one query loads the mentions, one the candidate incidents,
one the originals of repeats, and two the volumes; everything else happens in memory.
Incidents whose evidence is all older than ``window`` at ingest (a backfill of old exports)
are recorded but never escalated.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, func, insert, or_, select, type_coerce
from sqlalchemy.orm import Session

from monitor.db.models import Incident, IncidentEvent, IncidentMention, Mention
from monitor.incidents import fingerprint
from monitor.incidents.aggregate import ScoredMention, Tracked, assess_incident, make_title
from monitor.incidents.context import IncidentContext
from monitor.incidents.escalation import (
    ACTIVE,
    active_silences,
    alerted_channels,
    deliver,
    raise_incident_escalation,
    start_incident_escalation,
)
from monitor.incidents.lifecycle import CLOSED, reopen_incident
from monitor.incidents.messages import playbook_for
from monitor.incidents.recovery import note_volume
from monitor.incidents.spikes import ALL, VolumeReading, bucket_of, read_volume, record_volume
from playbooks import ALL_GRADES, Silence, grade_rank

log = logging.getLogger(__name__)
TEXT_PREFIX = 1000
CHUNK = 5000
KIND_ORDER = {"executive": 0, "product": 1, "brand": 2, "competitor": 3, "topic": 4}
GRADE_RANKS = {grade: rank for rank, grade in enumerate(ALL_GRADES)}
MILESTONES = (10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000)


@dataclass
class AssignResult:
    """What one batch did to incidents."""

    mentions: int = 0
    assigned: int = 0
    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    alerts: int = 0
    suppressed: int = 0


def load_scored(
    session: Session, *, ctx: IncidentContext, mention_ids: Sequence[int], now: datetime
) -> list[ScoredMention]:
    """The scored mentions among ``mention_ids``, oldest first."""
    m = Mention
    # Score details are read as JSON text and decoded only for mentions that can join an
    # incident: most mentions are below the floor and only count towards volume.
    columns = (
        m.id, m.source_id, m.author, m.author_reach, m.published_at, m.lang,
        func.substr(m.title, 1, 200), func.substr(m.text, 1, TEXT_PREFIX), m.url,
        type_coerce(m.metrics, Text), m.duplicate_of, m.entities, m.sentiment,
        type_coerce(m.sentiment_probs, Text), type_coerce(m.categories, Text), m.top_category,
        m.grade, m.likelihood, m.impact, type_coerce(m.reasons, Text),
    )
    ignored = set(ctx.matrix.likelihood_ignore)
    position = {name: i for i, name in enumerate(ctx.entity_names)}
    floor = grade_rank(ctx.rules.floor)
    connection = session.connection()
    out: list[ScoredMention] = []
    ids = list(mention_ids)
    for start in range(0, len(ids), CHUNK):
        stmt = select(*columns).where(m.id.in_(ids[start : start + CHUNK]), m.grade.is_not(None))
        for row in connection.execute(stmt):
            (mid, source, author, reach, published, lang, title, text, url, metrics, dup,
             entities, sentiment, probs, cats, top, grade, lik, imp, reasons) = row
            if not entities or grade not in GRADE_RANKS:
                continue
            eligible = GRADE_RANKS[grade] >= floor
            categories = _json_list(cats) if eligible or top in ignored else []
            out.append(
                ScoredMention(
                    id=mid, source_id=source, author=author, author_reach=reach,
                    at=min(published, now), lang=lang,
                    text=f"{title}\n{text}" if title and title not in text else text,
                    url=url, metrics=_json_dict(metrics) if eligible else {},
                    duplicate_of=dup, entities=_ordered(entities, ctx, position),
                    sentiment=sentiment,
                    negative_prob=_negative(sentiment, _json_dict(probs) if eligible else None),
                    categories=categories,
                    category=_category(top, categories, ignored), grade=grade, likelihood=lik,
                    impact=imp, reasons=_json_list(reasons) if eligible else [],
                )
            )
    out.sort(key=lambda x: (x.at, x.id))
    return out


def _json(value: Any) -> Any:
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value  # drivers such as psycopg decode JSON themselves


def _json_dict(value: Any) -> dict[str, Any]:
    decoded = _json(value)
    return decoded if isinstance(decoded, dict) else {}


def _json_list(value: Any) -> list[Any]:
    decoded = _json(value)
    return decoded if isinstance(decoded, list) else []


def _ordered(
    entities: Iterable[Any], ctx: IncidentContext, position: dict[str, int]
) -> list[str]:
    unique = list(dict.fromkeys(str(e) for e in entities))
    if len(unique) < 2:
        return unique
    return sorted(
        unique,
        key=lambda e: (KIND_ORDER.get(ctx.entity_kinds.get(e, ""), 9), position.get(e, 999)),
    )


def _negative(sentiment: str | None, probs: Any) -> float | None:
    if isinstance(probs, dict) and isinstance(probs.get("negative"), int | float):
        return float(probs["negative"])
    if sentiment in ("negative", "neutral", "positive"):
        return 1.0 if sentiment == "negative" else 0.0
    return None


def _category(top: str | None, categories: Any, ignored: set[str]) -> str | None:
    if top is not None and top not in ignored:
        return top
    ranked = sorted(
        (c for c in categories or [] if isinstance(c, dict) and c.get("category") not in ignored),
        key=lambda c: -float(c.get("score") or 0),
    )
    return str(ranked[0]["category"]) if ranked else None


class IncidentIndex:
    """The incidents a batch can join, indexed by (entity, category) and by entity."""

    def __init__(self, ctx: IncidentContext) -> None:
        self.ctx = ctx
        self.by_id: dict[int, Tracked] = {}
        self.by_key: dict[tuple[str, str | None], list[Tracked]] = defaultdict(list)
        self.by_entity: dict[str, list[Tracked]] = defaultdict(list)
        self.max_bits = fingerprint.max_distance(ctx.rules.near_duplicate)

    def load(self, session: Session, *, entities: Iterable[str], oldest: datetime) -> None:
        rules = self.ctx.rules
        stmt = select(Incident).where(
            Incident.entity_id.in_(sorted(set(entities))),
            or_(
                and_(Incident.state.in_(ACTIVE), Incident.last_seen_at >= oldest - rules.window),
                and_(
                    Incident.state.in_(CLOSED),
                    Incident.resolved_at >= oldest - rules.reopen_within,
                ),
            ),
        )
        for incident in session.scalars(stmt):
            self.add(Tracked.wrap(incident))

    def load_ids(self, session: Session, ids: Iterable[int]) -> None:
        missing = sorted(set(ids) - set(self.by_id))
        if missing:
            for incident in session.scalars(select(Incident).where(Incident.id.in_(missing))):
                self.add(Tracked.wrap(incident))

    def add(self, tracked: Tracked) -> None:
        inc = tracked.incident
        if inc.id is not None:
            self.by_id[inc.id] = tracked
        self.by_key[(inc.entity_id, inc.category)].append(tracked)
        self.by_entity[inc.entity_id].append(tracked)

    def joinable(self, tracked: Tracked, mention: ScoredMention) -> bool:
        inc, rules = tracked.incident, self.ctx.rules
        if mention.at < tracked.first_seen - rules.window:
            return False
        if inc.state in ACTIVE:
            return mention.at <= tracked.last_seen + rules.window
        return inc.resolved_at is not None and mention.at <= inc.resolved_at + rules.reopen_within

    def best(self, candidates: Iterable[Tracked], mention: ScoredMention) -> Tracked | None:
        usable = [t for t in candidates if self.joinable(t, mention)]
        if not usable:
            return None
        return max(usable, key=lambda t: (t.incident.state in ACTIVE, t.last_seen))

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
    session: Session, *, ctx: IncidentContext, mention_ids: Sequence[int], now: datetime
) -> AssignResult:
    """Group a batch of newly stored, scored mentions into incidents and alert what is due."""
    result = AssignResult()
    mentions = load_scored(session, ctx=ctx, mention_ids=mention_ids, now=now)
    result.mentions = len(mentions)
    if not mentions:
        return result
    rules = ctx.rules
    readings = _count_volume(session, ctx=ctx, mentions=mentions, now=now)
    floor = grade_rank(rules.floor)
    eligible = [m for m in mentions if m.rank >= floor]
    index = IncidentIndex(ctx)
    if eligible:
        index.load(
            session,
            entities={e for m in eligible for e in m.entities},
            oldest=eligible[0].at,
        )
    originals = _originals(session, [m.duplicate_of for m in eligible if m.duplicate_of])
    index.load_ids(session, originals.values())
    fresh: list[Tracked] = []
    links: list[tuple[Tracked, int]] = []
    for mention in eligible:
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
        elif tracked.incident.state in CLOSED:
            inc = tracked.incident
            if (
                inc.state == "resolved"
                and inc.resolved_at is not None
                and mention.at > inc.resolved_at
                and mention.rank >= grade_rank(inc.grade)
            ):
                inc.state = "open"
                tracked.reopened = True
            else:
                tracked.closed_join = True
        if tracked.wants_fingerprint() and fp is None:
            fp = fingerprint.simhash(mention.text)
        tracked.add(mention, ctx=ctx, fp=fp if fp not in tracked.fingerprints else None)
        links.append((tracked, mention.id))
        result.assigned += 1
    if rules.spike.open_incidents:
        fresh.extend(_volume_incidents(ctx=ctx, index=index, mentions=mentions,
                                       readings=readings, links=links, now=now))
    for tracked in fresh:
        session.add(tracked.incident)
    session.flush()
    for tracked in fresh:
        index.by_id[tracked.incident.id] = tracked
    if links:
        session.execute(
            insert(IncidentMention),
            [{"incident_id": t.incident.id, "mention_id": mid} for t, mid in links],
        )
    touched = [t for t in index.by_id.values() if t.dirty]
    missing = {(t.incident.entity_id, t.incident.category or ALL) for t in touched} - set(readings)
    readings.update(
        read_volume(session, keys=missing, now=now, rules=rules.spike, cache=ctx.cache)
    )
    silences = active_silences(session, now=now) if touched else []
    for tracked in touched:
        _finish(session, ctx=ctx, tracked=tracked, readings=readings, now=now,
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
    *, ctx: IncidentContext, index: IncidentIndex, mentions: Sequence[ScoredMention],
    readings: dict[tuple[str, str], VolumeReading], links: list[tuple[Tracked, int]],
    now: datetime,
) -> list[Tracked]:
    """Open an incident on volume alone for each spiking entity nothing else explains."""
    opened: list[Tracked] = []
    assigned = {mid for _, mid in links}
    recent = now - ctx.rules.spike.interval
    floor = grade_rank(ctx.rules.floor)
    for (entity, category), reading in sorted(readings.items()):
        if category != ALL or not reading.spiking:
            continue
        active = [t for t in index.by_entity.get(entity, ()) if t.incident.state in ACTIVE]
        if any(t.last_seen >= recent and t.incident.category for t in active):
            continue  # an incident is already collecting this wave
        wave = [m for m in mentions if entity in m.entities and m.at >= recent]
        evidence = [m for m in wave if m.id not in assigned]
        if not evidence or len(evidence) * 2 <= len(wave):
            continue  # mostly evidence of incidents (perhaps of a related entity) already
        existing = index.best(
            [t for t in index.by_key.get((entity, None), ()) if t.incident.state in ACTIVE],
            evidence[0],
        )
        tracked = existing or Tracked.wrap(
            new_incident(ctx=ctx, entity_id=entity, category=None, first=evidence[0], now=now)
        )
        for mention in evidence:
            tracked.add(mention, ctx=ctx, fp=None)
        if existing is None:
            grade = assess_incident(tracked, ctx=ctx, spread=reading.spread_ratio).grade
            if grade_rank(grade) < floor:
                continue
            tracked.is_new = True
            opened.append(tracked)
            index.add(tracked)
        links.extend((tracked, m.id) for m in evidence)
        assigned.update(m.id for m in evidence)
    return opened


def _finish(
    session: Session, *, ctx: IncidentContext, tracked: Tracked,
    readings: dict[tuple[str, str], VolumeReading], now: datetime,
    silences: Sequence[Silence], result: AssignResult,
) -> None:
    """Store aggregates, regrade, record the timeline and run the playbook for one incident."""
    inc = tracked.incident
    tracked.store()
    reading = readings.get((inc.entity_id, inc.category or ALL))
    spread = reading.spread_ratio if reading is not None else None
    assessment = assess_incident(tracked, ctx=ctx, spread=spread)
    old_grade, old_peak = inc.grade, inc.peak_grade
    inc.grade = assessment.grade
    inc.likelihood, inc.impact = assessment.likelihood, assessment.impact
    inc.reasons = list(assessment.reasons)
    if grade_rank(assessment.grade) > grade_rank(inc.peak_grade):
        inc.peak_grade = assessment.grade
    inc.updated_at = now
    spike_started = reading is not None and note_volume(inc, reading, now=now)
    # set only during a spike wave (until its recovery): the tick looks for these
    inc.spike_ratio = spread if (inc.stats or {}).get("spiked") else None
    added = len(tracked.new_mentions)
    if tracked.is_new:
        result.opened.append(inc.id)
        _event(session, inc, "opened", now, first_mention=tracked.stats.get("first_mention"),
               category=inc.category, reasons=inc.reasons, volume=_describe(reading),
               mentions=added)
        inc.stats = {**(inc.stats or {}), "milestone": _milestone(inc.mention_count)}
    else:
        result.updated.append(inc.id)
        _event(session, inc, "evidence", now, added=added, total=inc.mention_count,
               closed=tracked.closed_join or None, first=tracked.new_mentions[0])
        if old_grade != inc.grade:
            _event(session, inc, "grade_changed", now, previous=old_grade, reasons=inc.reasons)
    if spike_started:
        _event(session, inc, "spike", now, volume=_describe(reading))
    sent = suppressed = 0
    if tracked.reopened:
        result.reopened.append(inc.id)
        inc.state = "resolved"  # reopen_incident performs the transition itself
        transition = reopen_incident(
            session, ctx=ctx, incident=inc, now=now, by=None, silences=silences,
            note=f"new evidence at or above its grade ({inc.grade}): mention "
            f"#{tracked.new_mentions[-1]}",
        )
        sent = transition.alerts
    elif inc.state in ACTIVE:
        if inc.escalation is None:
            if inc.last_seen_at >= now - ctx.rules.window:
                sent, suppressed = start_incident_escalation(
                    session, ctx=ctx, incident=inc, now=now, silences=silences
                )
        elif grade_rank(inc.peak_grade) > grade_rank(old_peak):
            sent, suppressed = raise_incident_escalation(
                session, ctx=ctx, incident=inc, now=now, silences=silences
            )
        if not tracked.is_new:
            a, b = _milestone_update(session, ctx=ctx, incident=inc, reading=reading, now=now,
                                     silences=silences)
            sent, suppressed = sent + a, suppressed + b
    result.alerts += sent
    result.suppressed += suppressed


def _milestone(count: int) -> int:
    return max((m for m in MILESTONES if m <= count), default=0)


def _milestone_update(
    session: Session, *, ctx: IncidentContext, incident: Incident,
    reading: VolumeReading | None, now: datetime, silences: Sequence[Silence],
) -> tuple[int, int]:
    """An evidence summary in the thread when the count passes 10, 25, 50, 100, 250..."""
    reached = _milestone(incident.mention_count)
    if reached <= int((incident.stats or {}).get("milestone", 0)):
        return 0, 0
    incident.stats = {**(incident.stats or {}), "milestone": reached}
    # the thread on the first-level channels; escalation contacts are not told every count
    playbook = playbook_for(incident, ctx)
    group = playbook.first_notify_group() if playbook is not None else None
    first_level = (
        {c for step in playbook.steps[group[0] : group[1]] for c in getattr(step, "channels", ())}
        if playbook is not None and group is not None
        else set()
    )
    channels = [c for c in alerted_channels(session, incident.id) if c in first_level]
    if not channels:
        return 0, 0
    note = (
        f"{incident.mention_count} mentions so far ({incident.negative_count} negative, "
        f"reach {incident.reach_total:,})"
        + (f"; {reading.describe()}" if reading is not None else "")
    )
    return deliver(
        session, ctx=ctx, incident=incident, event="evidence", channels=channels,
        key=f"{incident.id}/evidence/{reached}", now=now, silences=silences, note=note,
    )


def _describe(reading: VolumeReading | None) -> str | None:
    return reading.describe() if reading is not None else None


def _event(session: Session, incident: Incident, kind: str, now: datetime, **detail: Any) -> None:
    session.add(
        IncidentEvent(
            incident_id=incident.id, at=now, kind=kind, actor=None, grade=incident.grade,
            detail={k: v for k, v in detail.items() if v is not None},
        )
    )
