"""The stories in memory and their inverted index, kept consistent through every change.

Contract: ``StoryTable`` owns each story's centroid (term -> weight: the sum of its mentions'
unit TF-IDF vectors, cut to ``max_terms`` whenever it doubles), the postings (term -> story ->
weight) that find candidates and count document frequencies, the near-duplicate anchors,
the redirects of merged-away stories, and the eviction heap. Each mutation updates all of
them, so the table is always a pure function of its stories: rebuilding it from signatures
gives the same postings, counts and heap order, which is what makes a restart exact.
No decision is taken here (see monitor.stories.index).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter

from monitor.stories.model import StorySignature

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def micros(at: datetime) -> int:
    """Exact integer microseconds since the epoch (naive times are taken as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return (at - _EPOCH) // _US


def from_micros(value: int) -> datetime:
    """Inverse of ``micros`` (aware UTC)."""
    return _EPOCH + timedelta(microseconds=value)


@dataclass(slots=True, eq=False)
class Story:
    """One story's engine state (times in microseconds since the epoch)."""

    id: int
    first: int
    last: int
    size: int = 0
    terms: dict[str, float] = field(default_factory=dict)
    sq: float = 0.0  # squared norm of terms, maintained incrementally
    inv: float = 0.0  # 1 / sqrt(sq), derived
    anchors: list[str] = field(default_factory=list)
    absorbed: list[int] = field(default_factory=list)

    def set_sq(self, sq: float) -> None:
        self.sq = sq
        self.inv = 1.0 / math.sqrt(sq) if sq > 0.0 else 0.0


class StoryTable:
    """Stories by id, postings, anchors, redirects and the eviction heap (see module doc)."""

    def __init__(self, *, max_terms: int, max_anchors: int) -> None:
        self.max_terms = max_terms
        self.max_anchors = max_anchors
        self.stories: dict[int, Story] = {}
        self.postings: dict[str, dict[int, float]] = {}  # term -> story -> centroid weight
        self.anchors: dict[str, int] = {}
        self.redirect: dict[int, int] = {}  # merged-away story -> the story it lives on in
        self.indexed = 0  # stories with a centroid: the N of the IDF
        self._heap: list[tuple[int, int]] = []  # (last, story); stale entries are skipped

    def new(self, sid: int, at: int) -> Story:
        if sid in self.stories:
            raise ValueError(f"story id {sid} is already in use")
        story = Story(id=sid, first=at, last=at)
        self.stories[sid] = story
        heapq.heappush(self._heap, (at, sid))
        return story

    def add(self, story: Story, vec: dict[str, float] | None, at: int, anchor: str | None) -> None:
        """Count one mention in ``story``: its time, its anchor, its unit vector if any."""
        story.size += 1
        story.first = min(story.first, at)
        if at > story.last:
            story.last = at
            heapq.heappush(self._heap, (at, story.id))
        if anchor is not None and len(story.anchors) < self.max_anchors:
            self.claim(story, anchor)
        if vec is None:
            return
        terms, postings, sid = story.terms, self.postings, story.id
        if not terms:
            self.indexed += 1
        dot = 0.0
        for term, w in vec.items():
            old = terms.get(term)
            if old is None:
                terms[term] = w
                postings.setdefault(term, {})[sid] = w
            else:
                dot += w * old
                terms[term] = postings[term][sid] = old + w
        story.set_sq(story.sq + 2.0 * dot + 1.0)  # |c + u|^2 with |u| = 1
        if len(terms) > 2 * self.max_terms:
            self.set_terms(story, terms)

    def set_terms(self, story: Story, terms: dict[str, float]) -> None:
        """Replace a centroid with ``terms`` cut to ``max_terms``; postings follow."""
        if len(terms) > self.max_terms:
            # A stable sort on a C key: ties keep dict order, which signatures preserve.
            ranked = sorted(terms.items(), key=itemgetter(1), reverse=True)
            terms = dict(ranked[: self.max_terms])
        postings, sid = self.postings, story.id
        for term in story.terms.keys() - terms.keys():
            posting = postings[term]
            del posting[sid]
            if not posting:
                del postings[term]
        self.indexed += bool(terms) - bool(story.terms)
        story.terms = terms
        story.set_sq(sum(w * w for w in terms.values()))
        for term, w in terms.items():
            postings.setdefault(term, {})[sid] = w

    def absorb(self, a: Story, b: Story) -> None:
        """Fold story ``b`` into ``a``: centroids add up, ``b``'s id lives on as ``a``."""
        self.drop(b)
        merged = dict(a.terms)
        for term, weight in b.terms.items():
            merged[term] = merged.get(term, 0.0) + weight
        self.set_terms(a, merged)
        a.size += b.size
        a.first = min(a.first, b.first)
        if b.last > a.last:
            a.last = b.last
            heapq.heappush(self._heap, (a.last, a.id))
        for anchor in b.anchors:
            self.claim(a, anchor)
        self.absorbed(a, (*b.absorbed, b.id))

    def absorbed(self, story: Story, ids: tuple[int, ...]) -> None:
        """Record that ``ids`` were merged into ``story`` (they resolve to it while it lives)."""
        for gone in ids:
            if gone not in story.absorbed:
                story.absorbed.append(gone)
            self.redirect[gone] = story.id

    def restore(self, sig: StorySignature, *, keep_absorbed: tuple[int, ...] = ()) -> Story:
        """A story exactly as persisted (its floats verbatim), indexed."""
        story = Story(id=sig.story, first=micros(sig.first), last=micros(sig.last),
                      size=sig.size, terms=dict(sig.terms))
        story.set_sq(sig.sq)
        self.stories[story.id] = story
        if story.terms:
            self.indexed += 1
            for term, w in story.terms.items():
                self.postings.setdefault(term, {})[story.id] = w
        for anchor in sig.anchors:
            self.claim(story, anchor)
        for gone in (*sig.absorbed, *keep_absorbed):
            if gone in self.stories:
                self.drop(self.stories[gone])
        self.absorbed(story, (*sig.absorbed, *keep_absorbed))
        heapq.heappush(self._heap, (story.last, story.id))
        return story

    def signature(self, story: Story) -> StorySignature:
        return StorySignature(
            story=story.id, first=from_micros(story.first), last=from_micros(story.last),
            size=story.size, terms=dict(story.terms), sq=story.sq,
            anchors=tuple(story.anchors), absorbed=tuple(story.absorbed),
        )

    def claim(self, story: Story, anchor: str) -> None:
        """Give ``anchor`` to ``story`` unless another story in memory owns it already."""
        if self.anchors.setdefault(anchor, story.id) == story.id and anchor not in story.anchors:
            story.anchors.append(anchor)

    def drop(self, story: Story) -> None:
        """Forget a story and everything that points at it."""
        if story.terms:
            self.indexed -= 1
            for term in story.terms:
                posting = self.postings[term]
                del posting[story.id]
                if not posting:
                    del self.postings[term]
        for anchor in story.anchors:
            if self.anchors.get(anchor) == story.id:
                del self.anchors[anchor]
        for gone in story.absorbed:
            if self.redirect.get(gone) == story.id:
                del self.redirect[gone]
        del self.stories[story.id]

    def expire(self, *, horizon: int, max_stories: int) -> None:
        """Drop stories idle since before ``horizon``, then the least recent beyond the cap."""
        heap, stories = self._heap, self.stories
        while heap and (heap[0][0] < horizon or len(stories) > max_stories):
            last, sid = heapq.heappop(heap)
            story = stories.get(sid)
            if story is not None and story.last == last:
                self.drop(story)
        if len(heap) > 2 * len(stories) + 1024:  # stale entries: rebuild
            self._heap = [(s.last, s.id) for s in stories.values()]
            heapq.heapify(self._heap)

    def stats(self) -> dict[str, int]:
        """Sizes of the in-memory structures (for benchmarks and bounded-memory tests)."""
        return {
            "stories": len(self.stories),
            "indexed": self.indexed,
            "terms": len(self.postings),
            "postings": sum(len(p) for p in self.postings.values()),
            "anchors": len(self.anchors),
            "redirects": len(self.redirect),
            "heap": len(self._heap),
        }
