"""The batch step that puts every new mention in a story, and keeps the ``stories`` table.

It runs in the ingest batch's transaction, after the mentions are stored and before the
incidents step, which reads ``NewMention.story``. After the engine placed them, a running
crisis may attract the new stories of risky posts (``Attraction``).

The engine (``StoryIndex``) lives in this process's memory; the table is the truth: on first
use the engine is rebuilt from the signatures of the stories of the window, before every batch
it takes in what other processes (or a responder's ``incident merge``) changed since, and
after a rolled-back batch it is dropped and rebuilt, so it never holds a story the database
does not.

Mentions point at the story they joined; a story merged away points at the story it lives on
in (``merged_into``) and hands its mentions over.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain
from typing import Any

from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.orm import Session

from monitor.db.models import Incident, Mention, Story
from monitor.incidents.states import ACTIVE
from monitor.pipeline.store import NewMention
from monitor.stories.index import StoryIndex
from monitor.stories.model import Assignment, StoryDoc, StoryParams, StorySignature
from playbooks import grade_rank

TITLE_CHARS = 300
# export columns naming what a row answers or reposts: the thread's root first (the engine
# prefers it), then the direct parent
REPLY_KEYS = ("thread", "parent", "in_reply_to")


@dataclass(frozen=True)
class Attraction:
    """While a crisis runs, a risky post that would start a story of its own joins the
    crisis's story when it names one of the story's entities (and no rival one), its category
    is none or one of the story's, and one of these ties it to the story:

    - its words are at least ``similarity`` close to the story's (cosine without the entity
      terms): "knew about the leak… Shameful" during the leak;
    - it has a category and its words cannot be compared with the story's (Chinese and an
      English-only story: ``Affinity.comparable``): the names and the kind of event tie
      them there;
    - it shows a category of ``one_at_a_time`` the story holds ("outage again, payment
      failed" during an "app down" incident: an entity has one outage at a time);
    - it has a category and the entity they share is of a kind in ``single_kinds`` (a product,
      a person has one crisis of a kind at a time).

    A second story of an ordinary category about the brand, sharing no words with the first,
    stays apart."""

    floor: str = "low"
    within: timedelta = timedelta(hours=6)
    similarity: float = 0.02
    one_at_a_time: frozenset[str] = frozenset()
    single_kinds: frozenset[str] = frozenset()


class StoryAssignment:
    """Places a batch's new mentions in stories (see module doc); one per process."""

    def __init__(
        self, *, params: StoryParams, names: Mapping[str, Iterable[str]] | None = None,
        kinds: Mapping[str, str] | None = None, attract: Attraction | None = None,
    ) -> None:
        self.params = params
        self.names = {k: tuple(v) for k, v in (names or {}).items()}
        self.kinds = dict(kinds or {})
        self.attract = attract
        self._lock = threading.Lock()
        self._index: StoryIndex | None = None
        self._synced: datetime | None = None
        self._sizes: dict[int, int] = {}  # story -> size this process last wrote

    def __call__(
        self, session: Session, *, mentions: Sequence[NewMention], now: datetime
    ) -> None:
        with self._lock:
            event.listen(session, "after_rollback", self._forget, once=True)
            index = self._ready(session, now)
            replies = _reply_targets(session, mentions)
            docs = [self._doc(m, now, replies.get(m.id)) for m in mentions]
            known = _stories_of(session, docs, {m.id for m in mentions})
            created: dict[int, StoryDoc] = {}

            def new_story(doc: StoryDoc) -> int:
                story_id = _insert_story(session, doc, now)
                created[story_id] = doc
                return story_id

            placed = index.assign(docs, new_story=new_story, stories_of=known)
            merged = {old: where.story for where in placed for old in where.merged}
            if self.attract is not None:
                merged.update(_attract(session, index, self.attract, self.kinds, mentions, docs,
                                       placed, now))
            for mention, where in zip(mentions, placed, strict=True):
                mention.story = index.resolve(where.story)
            _record(session, index=index, mentions=mentions, merged=merged, now=now,
                    sizes=self._sizes)

    def _ready(self, session: Session, now: datetime) -> StoryIndex:
        """The engine, rebuilt from the table or brought up to date with it."""
        if self._index is None:
            self._index = StoryIndex(params=self.params, names=self.names, kinds=self.kinds)
            self._synced, self._sizes = None, {}
            rows = session.execute(
                select(Story.signature, Story.updated_at).where(
                    Story.merged_into.is_(None), Story.last_seen_at >= now - self.params.window,
                    Story.signature.is_not(None),
                )
            ).all()
        else:
            assert self._synced is not None
            rows = session.execute(
                select(Story.signature, Story.updated_at).where(
                    Story.updated_at >= self._synced, Story.signature.is_not(None)
                )
            ).all()
        signatures = []
        for signature, updated in rows:
            sig = stored_signature(signature)
            if sig is not None and self._sizes.get(sig.story) != sig.size:
                signatures.append(sig)
            self._synced = max(self._synced or updated, updated)
        self._index.load(signatures)
        if self._synced is None:
            self._synced = now
        return self._index

    def _doc(self, mention: NewMention, now: datetime, reply_to: int | None) -> StoryDoc:
        cand = mention.candidate
        return StoryDoc(
            key=mention.id, at=min(mention.published, now), text=cand.text,
            entities=cand.entities, duplicate_of=mention.duplicate_of, reply_to=reply_to,
        )

    def _forget(self, session: Session) -> None:
        """The batch rolled back: memory may hold stories the table does not."""
        with self._lock:
            self._index, self._synced, self._sizes = None, None, {}


@dataclass(frozen=True)
class _Crisis:
    """A story a risky post may join (see Attraction)."""

    story: int
    categories: frozenset[str]
    entities: frozenset[str]


def _running(session: Session, rule: Attraction, now: datetime) -> list[_Crisis]:
    """The stories of the incidents active within ``rule.within``."""
    rows = session.execute(
        select(Incident.story_id, Incident.category, Story.categories, Story.entities)
        .join(Story, Story.id == Incident.story_id)
        .where(Incident.state.in_(ACTIVE), Incident.last_seen_at >= now - rule.within)
        .order_by(Incident.story_id)
    ).all()
    return [
        _Crisis(story, frozenset(categories or ()) | ({category} if category else set()),
                frozenset(entities or ()))
        for story, category, categories, entities in rows
    ]


def _attract(
    session: Session, index: StoryIndex, rule: Attraction, kinds: Mapping[str, str],
    mentions: Sequence[NewMention], docs: Sequence[StoryDoc], placed: Sequence[Assignment],
    now: datetime,
) -> dict[int, int]:
    """New stories of risky posts merged into running crises' stories (see Attraction).

    A running crisis is an active incident's story, or the story of a risky post earlier in
    this batch (in publication order): how items are split into batches changes nothing.
    """
    floor = grade_rank(rule.floor)
    risky = sorted(
        (i for i, m in enumerate(mentions)
         if m.score is not None and grade_rank(m.score.grade) >= floor),
        key=lambda i: (docs[i].at, docs[i].key),
    )
    if not risky:
        return {}
    hot = _running(session, rule, now)
    merged: dict[int, int] = {}
    for i in risky:
        doc, score = docs[i], mentions[i].score
        assert score is not None
        category = score.top_category
        shown = frozenset(c.category for c in score.categories)
        own = index.resolve(placed[i].story)
        if placed[i].created:
            named = set(doc.entities)
            eligible: list[tuple[_Crisis, int, frozenset[str]]] = []
            for crisis in hot:
                story, shared = index.resolve(crisis.story), crisis.entities & named
                if story != own and shared and (category is None
                                                or category in crisis.categories):
                    eligible.append((crisis, story, shared))
            ties = index.affinities(doc, {story for _, story, _ in eligible})
            best: tuple[float, int] | None = None
            for crisis, story, shared in eligible:
                tie = ties.get(story)
                if tie is None:
                    continue
                tied = category is not None and (
                    not tie.comparable
                    or any(kinds.get(e) in rule.single_kinds for e in shared)
                )
                single = rule.one_at_a_time & shown & crisis.categories
                if tie.similarity >= rule.similarity or tied or single:
                    best = max(best or (tie.similarity, -story), (tie.similarity, -story))
            if best is not None:
                target = -best[1]
                index.merge(target, own)
                merged[own] = target
                own = target
        hot.append(_Crisis(own, frozenset((category,)) if category else frozenset(),
                           frozenset(doc.entities)))
    return merged


def stored_signature(value: Any) -> StorySignature | None:
    """A story row's signature, or None (none stored: JSON null; another engine version)."""
    try:
        return StorySignature.from_json(value) if isinstance(value, dict) else None
    except ValueError:
        return None  # a signature of another engine version: the story is not carried on


def _reply_targets(session: Session, mentions: Sequence[NewMention]) -> dict[int, int]:
    """Mention id -> id of the stored mention it answers or reposts, where the export says
    (same source; this batch's mentions first)."""
    wanted: dict[int, tuple[str, str]] = {}
    for m in mentions:
        extra = m.candidate.item.extra
        target = next((str(extra[k]) for k in REPLY_KEYS if extra.get(k)), None)
        if target is not None and target != m.candidate.item.external_id:
            wanted[m.id] = (m.source_id, target)
    if not wanted:
        return {}
    found = {(m.source_id, m.candidate.item.external_id): m.id for m in mentions}
    missing: dict[str, set[str]] = {}
    for key in wanted.values():
        if key not in found:
            missing.setdefault(key[0], set()).add(key[1])
    for source_id, external_ids in missing.items():
        rows = session.execute(
            select(Mention.external_id, Mention.id).where(
                Mention.source_id == source_id, Mention.external_id.in_(sorted(external_ids))
            )
        )
        found.update({(source_id, str(ext)): int(mid) for ext, mid in rows})
    return {mid: found[key] for mid, key in wanted.items() if key in found}


def _stories_of(session: Session, docs: Sequence[StoryDoc], batch: set[int]) -> dict[int, int]:
    """Stories of the stored mentions the docs repeat or answer (outside this batch)."""
    wanted = {
        target for doc in docs for target in (doc.duplicate_of, doc.reply_to)
        if target is not None and target not in batch
    }
    if not wanted:
        return {}
    rows = session.execute(
        select(Mention.id, Mention.story_id).where(
            Mention.id.in_(sorted(wanted)), Mention.story_id.is_not(None)
        )
    )
    return {int(mid): int(story) for mid, story in rows if story is not None}


# The statements run once per new story or merge are built once: building one (coercing
# every value, computing its cache key) cost more than running it. On the connection: the
# step's first query flushed the session, and placing mentions changes no ORM object.
_INSERT_STORY = insert(Story).returning(Story.id)
_MOVE_MENTIONS = update(Mention).where(Mention.story_id == bindparam("m_gone")).values(
    story_id=bindparam("m_kept")
)
_OWN_INCIDENT = select(Incident.id).where(Incident.story_id == bindparam("m_kept")).limit(1)
_MOVE_INCIDENT = update(Incident).where(Incident.story_id == bindparam("m_gone")).values(
    story_id=bindparam("m_kept")
)


def _insert_story(session: Session, doc: StoryDoc, now: datetime) -> int:
    values = {
        "title": " ".join(doc.text.split())[:TITLE_CHARS], "first_seen_at": doc.at,
        "last_seen_at": doc.at, "mention_count": 0, "negative_count": 0, "entities": {},
        "sources": {}, "categories": {}, "signature": None, "created_at": now,
        "updated_at": now,
    }
    return int(session.connection().execute(_INSERT_STORY, values).scalar_one())


def _record(
    session: Session, *, index: StoryIndex, mentions: Sequence[NewMention],
    merged: Mapping[int, int], now: datetime, sizes: dict[int, int],
) -> None:
    """Mentions' story ids, the touched stories' aggregates and signatures, merges."""
    if not mentions:
        return
    conn = session.connection()
    # One row per run of consecutive ids placed in the same story, not one per mention: a
    # batch's ids are consecutive and a busy story takes long runs of them. One statement
    # text whatever the batch, so the driver's statement cache stays small.
    conn.execute(
        update(Mention).where(Mention.id.between(bindparam("m_lo"), bindparam("m_hi"))).values(
            story_id=bindparam("m_story")
        ),
        [{"m_lo": lo, "m_hi": hi, "m_story": story} for lo, hi, story in _runs(mentions)],
    )
    by_story: dict[int, list[NewMention]] = {}
    for m in mentions:
        assert m.story is not None
        by_story.setdefault(index.resolve(m.story), []).append(m)
    touched = set(by_story) | {index.resolve(s) for s in merged.values()}
    rows = {s.id: s for s in session.scalars(
        select(Story).where(Story.id.in_(sorted(touched | set(merged))))
    )}
    for old, into in merged.items():
        _merge_rows(session, rows, old=old, into=index.resolve(into), now=now)
    for story_id in sorted(touched):
        row = rows.get(story_id)
        if row is None:
            continue
        _add_mentions(row, by_story.get(story_id, ()))
        try:
            signature = index.signature(story_id)
        except KeyError:
            signature = None  # evicted by this very batch (an old backfill): nothing to carry
        row.signature = signature.to_json() if signature is not None else None
        if signature is not None:
            sizes[story_id] = signature.size
        row.updated_at = now


def _runs(mentions: Sequence[NewMention]) -> list[tuple[int, int, int]]:
    """(first id, last id, story) of each run of consecutive mention ids in one story."""
    runs: list[tuple[int, int, int]] = []
    for m in sorted(mentions, key=lambda m: m.id):
        assert m.story is not None
        if runs and runs[-1][1] + 1 == m.id and runs[-1][2] == m.story:
            runs[-1] = (runs[-1][0], m.id, m.story)
        else:
            runs.append((m.id, m.id, m.story))
    return runs


def _add_mentions(row: Story, mentions: Sequence[NewMention]) -> None:
    if not mentions:
        return
    scores = [m.score for m in mentions if m.score is not None]
    row.mention_count += len(mentions)
    row.negative_count += sum(1 for s in scores if s.sentiment.label == "negative")
    # Counters fed in mention order, as one by one: the stored JSON keeps its key order
    entities = Counter(row.entities or {})
    entities.update(chain.from_iterable(m.candidate.entities for m in mentions))
    sources = Counter(row.sources or {})
    sources.update(m.source_id for m in mentions)
    categories = Counter(row.categories or {})
    categories.update(s.top_category for s in scores if s.top_category)
    first = min(m.published for m in mentions)
    last = max(m.published for m in mentions)
    if first < row.first_seen_at:
        row.first_seen_at = first
    if last > row.last_seen_at:
        row.last_seen_at = last
    row.entities, row.sources, row.categories = dict(entities), dict(sources), dict(categories)


def _merge_rows(
    session: Session, rows: Mapping[int, Story], *, old: int, into: int, now: datetime
) -> None:
    """``old`` was shown to be ``into``'s story: its row, mentions and incident follow."""
    gone, kept = rows.get(old), rows.get(into)
    if gone is None or kept is None or gone.id == kept.id:
        return
    gone.merged_into, gone.signature, gone.updated_at = kept.id, None, now
    kept.mention_count += gone.mention_count
    kept.negative_count += gone.negative_count
    for name in ("entities", "sources", "categories"):
        total = Counter(getattr(kept, name) or {})
        total.update(getattr(gone, name) or {})
        setattr(kept, name, dict(total))
    kept.first_seen_at = min(kept.first_seen_at, gone.first_seen_at)
    kept.last_seen_at = max(kept.last_seen_at, gone.last_seen_at)
    # on the connection, as the mentions' own story ids above: an ORM update would compare
    # every object in the session with its criteria, once per merge
    conn = session.connection()
    ids = {"m_gone": gone.id, "m_kept": kept.id}
    conn.execute(_MOVE_MENTIONS, ids)
    if conn.scalar(_OWN_INCIDENT, ids) is None:
        # the story's incident carries on as the merged story's; two incidents stay two
        # (a responder may merge them with ``crisiswatch incident merge``)
        conn.execute(_MOVE_INCIDENT, ids)
