"""A responder's corrections to stories: merge two, or put mentions in another (or a new) one.

Each correction loads the stories of the window into a fresh engine (``StoryIndex``), applies
the change there, and writes back the changed stories' signatures, aggregates and mention
ids, with ``updated_at`` moved on so that a running service takes the change in before its
next batch. A merge is remembered by the engine (``absorbed``): the two never come apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from monitor.collectors.base import with_title
from monitor.db.models import Mention, Story
from monitor.incidents.story_step import TITLE_CHARS, stored_signature
from monitor.stories.index import StoryIndex
from monitor.stories.model import StoryDoc, StoryParams


def _engine(
    session: Session, *, params: StoryParams, names: Mapping[str, Iterable[str]],
    stories: Iterable[int], now: datetime,
) -> StoryIndex:
    """A fresh engine holding the window's stories and ``stories`` (whatever their age)."""
    index = StoryIndex(params=params, names={k: tuple(v) for k, v in names.items()})
    rows = session.scalars(
        select(Story.signature).where(
            Story.merged_into.is_(None), Story.signature.is_not(None),
            (Story.last_seen_at >= now - params.window) | Story.id.in_(sorted(set(stories))),
        )
    )
    index.load(sig for sig in map(stored_signature, rows) if sig is not None)
    return index


def merge_stories(
    session: Session, *, into: int, other: int, params: StoryParams,
    names: Mapping[str, Iterable[str]], now: datetime,
) -> None:
    """``other`` is ``into``'s story: its mentions move over and it points at ``into``."""
    if into == other:
        return
    index = _engine(session, params=params, names=names, stories=(into, other), now=now)
    with suppress(KeyError):  # both older than the window: nothing in memory to merge
        index.merge(into, other)
    session.execute(update(Mention).where(Mention.story_id == other).values(story_id=into))
    session.execute(update(Story).where(Story.id == other).values(
        merged_into=into, signature=None, updated_at=now,
    ))
    _write(session, index, into, now)


def move_to_story(
    session: Session, *, mention_ids: Sequence[int], story: int | None,
    params: StoryParams, names: Mapping[str, Iterable[str]], now: datetime,
) -> int:
    """Put the mentions in ``story`` (None: a new one); the stories they left are rebuilt
    from their remaining mentions. Returns the story they are in."""
    rows = session.scalars(select(Mention).where(Mention.id.in_(list(mention_ids)))).all()
    if not rows:
        raise ValueError("no such mentions")
    left = {r.story_id for r in rows if r.story_id is not None and r.story_id != story}
    if story is None:
        first = min(rows, key=lambda r: (r.published_at, r.id))
        story = int(session.execute(insert(Story).values(
            title=" ".join(with_title(first.title, first.text).split())[:TITLE_CHARS],
            first_seen_at=first.published_at, last_seen_at=first.published_at,
            mention_count=0, negative_count=0, entities={}, sources={}, categories={},
            signature=None, created_at=now, updated_at=now,
        ).returning(Story.id)).scalar_one())
    session.execute(update(Mention).where(Mention.id.in_([r.id for r in rows]))
                    .values(story_id=story))
    index = _engine(session, params=params, names=names, stories=(story, *left), now=now)
    for story_id in (story, *sorted(left)):
        index.forget(story_id)
        index.place(story_id, _docs(session, story_id))
        _write(session, index, story_id, now)
    return story


def _docs(session: Session, story_id: int) -> list[StoryDoc]:
    rows = session.execute(
        select(Mention.id, Mention.published_at, Mention.title, Mention.text, Mention.entities)
        .where(Mention.story_id == story_id)
    )
    return [StoryDoc(key=mid, at=at, text=with_title(title, text),
                     entities=tuple(entities or ()))
            for mid, at, title, text, entities in rows]


def _write(session: Session, index: StoryIndex, story_id: int, now: datetime) -> None:
    """The story's signature from the engine and its aggregates from its mentions."""
    row = session.get(Story, story_id)
    if row is None:
        return
    try:
        row.signature = index.signature(story_id).to_json()
    except KeyError:
        row.signature = None
    recount(session, row)
    row.updated_at = now


def recount(session: Session, row: Story) -> None:
    """A story's aggregates, counted again from its mentions."""
    found = session.execute(
        select(Mention.source_id, Mention.entities, Mention.top_category, Mention.sentiment,
               Mention.published_at)
        .where(Mention.story_id == row.id)
    ).all()
    if not found:
        row.mention_count = row.negative_count = 0
        row.entities, row.sources, row.categories = {}, {}, {}
        return
    entities: Counter[str] = Counter()
    for _, names, _, _, _ in found:
        entities.update(str(e) for e in names or ())
    row.mention_count = len(found)
    row.negative_count = sum(1 for f in found if f.sentiment == "negative")
    row.entities = dict(entities)
    row.sources = dict(Counter(f.source_id for f in found))
    row.categories = dict(Counter(f.top_category for f in found if f.top_category))
    row.first_seen_at = min(f.published_at for f in found)
    row.last_seen_at = max(f.published_at for f in found)
