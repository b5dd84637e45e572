"""StoryIndex: place each mention in the story of the same real-world event, incrementally.

Contract. ``assign`` places mentions one by one (a batch is taken in publication order) and
never compares a mention with all stories: candidates come from the inverted index (term ->
stories whose centroid holds it), read from the mention's rarest terms within a fixed budget
of postings. A mention joins, in this order:

1. the story of the mention it duplicates or replies to / reposts (``duplicate_of``,
   ``reply_to``), found in this batch or in the caller's ``stories_of``; a known story that
   is not in memory is adopted under its id (``load`` its signature first to keep its state);
2. with fewer than ``min_terms`` content terms ("转发微博", "lol", "真的吗"): a story of its own,
   never indexed, so it pollutes nothing (a later reply to it with content can grow it);
3. the story owning its near-duplicate anchor (reposts, retweets, syndicated copies);
4. the story whose centroid is most similar (cosine of TF-IDF vectors), if the similarity
   reaches the threshold for the mention's length; otherwise it starts a story (``new_story``
   allocates the id). When the runner-up also reaches the threshold and the two centroids
   are close (``merge_threshold``), the mention has shown them to be one story: the smaller
   is merged into the larger and reported in ``Assignment.merged``.

A story is joinable by a mention published within ``window`` of the story's span, so a late
backfilled item is placed by its own timestamp, and only when it names no rival entity only:
a mention naming watched entities of some kind (products, people) never joins by content a
story that names others of that kind and none of its own. The stream clock is the newest publication
time seen; stories idle longer than ``window`` before it, and the least recent beyond
``max_stories``, are evicted: memory is bounded by the window, never by history.

IDF is the stream's own: a term's document frequency is the number of stories in memory whose
centroid holds it, so it needs no fitted vocabulary and follows any organisation's text, and
it is a function of the stories' signatures. That makes a restart exact: ``load`` the
signatures of the stories in memory into a fresh index and it decides as the old one would
have. Deterministic: ties are broken by story id, never by set or hash order.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from monitor.stories.features import ENTITY_PREFIX, Features, extract, split_compound
from monitor.stories.model import (
    Affinity,
    Assignment,
    Reason,
    StoryDoc,
    StoryParams,
    StorySignature,
)
from monitor.stories.state import Story, StoryTable, micros

_SHORT = 12  # terms in a typical post: ``threshold`` applies up to this length
_Probe = tuple[int, str, dict[int, float]]  # (posting size, term, posting)
_Found = tuple[Story, float] | None
_ORGANISATION = "brand"
_ORGANISATIONS = frozenset({"brand", "competitor"})
_Named = dict[str, set[str]]  # entity kind -> the entity pseudo-terms of that kind


class StoryIndex:
    """Stories of the recent window, indexed for incremental assignment (see module doc)."""

    def __init__(
        self, *, params: StoryParams | None = None,
        names: Mapping[str, Iterable[str]] | None = None, kinds: Mapping[str, str] | None = None,
    ) -> None:
        """``names``: each watched entity's names and aliases (the watchlist's dictionary).

        In a mention that matched an entity, the words of an organisation's names (a brand's,
        a competitor's, and those words inside a product's or person's name) count as the
        entity's pseudo-term only: a brand named in every mention then cannot tie two
        unrelated stories before the stream is long enough for IDF to learn that it is
        everywhere. The other words of a product's name (奶粉, formula) stay words: posts that
        name only the brand use them for the same thing. Without ``kinds`` every entity is
        taken for an organisation.

        ``kinds``: each watched entity's kind (brand, product, person...). A mention that names
        entities of a kind joins no story (by content) naming only other entities of that
        kind: the same complaint about two products, or the same charge against two people,
        are two events however alike the words. Pass the same names and kinds after a restart
        (they are configuration, not state).
        """
        self.params = params or StoryParams()
        kinds = kinds or {}
        named = {
            entity: frozenset(t for n in words for t in extract(n).terms)
            for entity, words in (names or {}).items()
        }
        orgs = {e for e in named if kinds.get(e, _ORGANISATION) in _ORGANISATIONS}
        organisations = frozenset().union(*(named[e] for e in orgs))
        self._names = {
            entity: terms if entity in orgs else terms & organisations
            for entity, terms in named.items()
        }
        self._kinds = {ENTITY_PREFIX + entity: kind for entity, kind in kinds.items()}
        self._of_kind: dict[str, list[str]] = {}
        for term, kind in sorted(self._kinds.items()):
            self._of_kind.setdefault(kind, []).append(term)
        self._window = self.params.window // timedelta(microseconds=1)
        self._table = StoryTable(max_terms=self.params.max_terms,
                                 max_anchors=self.params.max_anchors)
        self._clock = -(2**62)

    # --- public API -------------------------------------------------------------------------

    def assign(
        self,
        docs: Sequence[StoryDoc],
        *,
        new_story: Callable[[StoryDoc], int],
        stories_of: Mapping[int, int] | None = None,
    ) -> list[Assignment]:
        """Place ``docs`` (taken in publication order); results come back in input order.

        ``new_story(doc)`` returns the id of the story ``doc`` starts. ``stories_of`` maps the
        mention ids docs point at (duplicate_of / reply_to) to their stories when they were
        placed in an earlier call: the caller stores that, this index keeps no per-mention
        state. Mentions of this batch find each other without it.
        """
        placed: dict[int, int] = {}
        known = stories_of or {}
        out: dict[int, Assignment] = {}
        times = [micros(doc.at) for doc in docs]
        for i in sorted(range(len(docs)), key=times.__getitem__):
            doc, at = docs[i], times[i]
            self._clock = max(self._clock, at)
            out[i] = result = self._place(doc, at, new_story, placed, known)
            placed[doc.key] = result.story
            self._expire()
        return [out[i] for i in range(len(docs))]

    def signature(self, story: int) -> StorySignature:
        """The persisted form of a story in memory (KeyError when it is not)."""
        return self._table.signature(self._table.stories[story])

    def active(self) -> list[int]:
        """Ids of the stories in memory, ascending."""
        return sorted(self._table.stories)

    def resolve(self, story: int) -> int:
        """The story ``story`` lives on in after merges (itself when never merged away)."""
        return self._table.redirect.get(story, story)

    def load(self, signatures: Iterable[StorySignature]) -> None:
        """Warm start or refresh: each signature replaces that story's state in memory.

        The persisted row wins over memory (another process may have grown the story), except
        that merges are never undone: a story merged away here is not brought back, and
        stories merged into one stay merged into it even if its row does not list them yet.
        The stories a signature lists as absorbed are dropped and redirect to it. The clock
        moves to the newest ``last`` loaded; stories idle past the window are evicted.
        """
        table = self._table
        sigs = list(signatures)
        for sig in sigs:
            self._clock = max(self._clock, micros(sig.last))
        for sig in sigs:
            if sig.story in table.redirect:
                continue
            old = table.stories.get(sig.story)
            keep: tuple[int, ...] = ()
            if old is not None:
                keep = tuple(g for g in old.absorbed if g not in sig.absorbed)
                table.drop(old)
            table.restore(sig, keep_absorbed=keep)
        self._expire()

    def merge(self, into: int, other: int) -> None:
        """A responder merged ``other`` into ``into``: one story from now on, under ``into``.

        At least one of them must be in memory (``load`` their signatures first).
        """
        table = self._table
        into, other = self.resolve(into), self.resolve(other)
        if into == other:
            return
        a, b = table.stories.get(into), table.stories.get(other)
        if b is not None:
            table.absorb(a or table.new(into, b.first), b)
        elif a is not None:
            table.absorbed(a, (other,))
        else:
            raise KeyError(f"neither story {into} nor {other} is in memory")

    def forget(self, story: int) -> None:
        """Drop ``story`` from memory (a responder is about to rebuild it with ``place``)."""
        found = self._table.stories.get(self.resolve(story))
        if found is not None:
            self._table.drop(found)

    def place(self, story: int, docs: Sequence[StoryDoc]) -> None:
        """A responder put ``docs`` in ``story`` (a split, a moved mention): add them there
        whatever their similarity; the story is created when it is not in memory."""
        table = self._table
        for doc in sorted(docs, key=lambda d: (micros(d.at), d.key)):
            at = micros(doc.at)
            self._clock = max(self._clock, at)
            feats = self._features(doc)
            vec = self._vector(feats)[0] if feats.content >= self.params.min_terms else None
            target = table.stories.get(story) or table.new(story, at)
            table.add(target, vec, at, feats.anchor)

    def affinities(self, doc: StoryDoc, stories: Iterable[int]) -> dict[int, Affinity]:
        """How ``doc``'s words compare with each of ``stories`` it can join (keyed by the id
        each lives on in; left out: not in memory, or naming only rival entities of
        ``doc``'s). The similarity is the cosine of ``doc``'s TF-IDF vector without the entity
        pseudo-terms (0.0 when it has no content terms); a Chinese post and an English-only
        story are not comparable."""
        feats = self._features(doc)
        named = self._named(feats.terms)
        words = {t: w for t, w in feats.terms.items() if not t.startswith(ENTITY_PREFIX)}
        vec = (self._vector(Features(terms=words, content=feats.content, anchor=None,
                                     tags=feats.tags))[0] if words else None)
        mine = {t.isascii() for t in words}
        out: dict[int, Affinity] = {}
        for story in stories:
            found = self._table.stories.get(self.resolve(story))
            if found is None or not self._joinable(found, found.last, named):
                continue
            comparable = any(t.isascii() in mine for t in found.terms
                             if not t.startswith(ENTITY_PREFIX))
            out[found.id] = Affinity(self._cosine(vec, found), comparable)
        return out

    def evict(self, *, before: datetime) -> None:
        """Drop every story idle since before ``before``."""
        limit = micros(before)
        for story in [s for s in self._table.stories.values() if s.last < limit]:
            self._table.drop(story)

    def stats(self) -> dict[str, int]:
        """Sizes of the in-memory structures (for benchmarks and bounded-memory tests)."""
        return self._table.stats()

    # --- placing one mention ----------------------------------------------------------------

    def _expire(self) -> None:
        self._table.expire(horizon=self._clock - self._window,
                           max_stories=self.params.max_stories)

    def _place(
        self, doc: StoryDoc, at: int, new_story: Callable[[StoryDoc], int],
        placed: dict[int, int], known: Mapping[int, int],
    ) -> Assignment:
        table, params = self._table, self.params
        feats = self._features(doc)
        vec, probes = self._vector(feats) if feats.content >= params.min_terms else (None, [])
        if doc.duplicate_of is not None or doc.reply_to is not None:
            linked = self._linked(doc, placed, known)
            if linked is not None:
                target, reason = linked
                story = table.stories.get(target) or table.new(target, at)
                sim = self._cosine(vec, story)
                table.add(story, vec, at, feats.anchor)
                return Assignment(doc.key, story.id, False, sim, reason)
        if vec is None:
            story = table.new(new_story(doc), at)
            table.add(story, None, at, None)
            return Assignment(doc.key, story.id, True, 0.0, "no_content")
        named = self._named(feats.terms)
        owner = table.anchors.get(feats.anchor) if feats.anchor else None
        if owner is not None and self._joinable(table.stories[owner], at, named):
            story = table.stories[owner]
            sim = self._cosine(vec, story)
            table.add(story, vec, at, None)
            return Assignment(doc.key, story.id, False, sim, "near_duplicate")
        found, runner = self._best(vec, probes, at, named)
        threshold = self._threshold(feats.content)
        if found is None or found[1] < threshold:
            story = table.new(new_story(doc), at)
            table.add(story, vec, at, feats.anchor)
            return Assignment(doc.key, story.id, True, found[1] if found else 0.0, "new")
        story, sim = found
        merged: tuple[int, ...] = ()
        if runner is not None and runner[1] >= threshold and self._bridges(story, runner[0]):
            keep, gone = sorted((story, runner[0]), key=lambda s: (-s.size, s.first, s.id))
            table.absorb(keep, gone)
            story, merged = keep, (gone.id,)
        table.add(story, vec, at, feats.anchor)
        return Assignment(doc.key, story.id, False, sim, "similar", merged)

    def _features(self, doc: StoryDoc) -> Features:
        named = [self._names[e] for e in doc.entities if e in self._names]
        return extract(doc.text, doc.entities, boosts=self.params.boosts,
                       drop=frozenset().union(*named) if named else frozenset())

    def _linked(
        self, doc: StoryDoc, placed: dict[int, int], known: Mapping[int, int]
    ) -> tuple[int, Reason] | None:
        """The story of the mention ``doc`` duplicates or replies to, when that is known."""
        links: tuple[tuple[int | None, Reason], ...] = (
            (doc.duplicate_of, "duplicate"), (doc.reply_to, "reply"),
        )
        for link, reason in links:
            if link is not None:
                target = placed.get(link)
                if target is None:
                    target = known.get(link)
                if target is not None:
                    return self.resolve(target), reason
        return None

    def _vector(self, feats: Features) -> tuple[dict[str, float], list[_Probe]]:
        """Unit TF-IDF vector of a mention (cut to ``mention_terms``) and its terms' postings.

        Compound hashtags add the parts the stream knows (#laxshooting: lax, shooting).
        """
        raw = feats.terms
        if feats.tags:
            raw = dict(raw)
            for tag in feats.tags:
                for part in split_compound(tag, self._table.postings.__contains__) or ():
                    raw.setdefault(part, self.params.boosts.name)
        log_n = math.log(self._table.indexed + 1) + 1.0
        postings = self._table.postings
        vec: dict[str, float] = {}
        probes: list[_Probe] = []
        for term, weight in raw.items():
            posting = postings.get(term)
            if posting:
                size = len(posting)
                vec[term] = weight * (log_n - math.log(size + 1))
                probes.append((size, term, posting))
            else:
                vec[term] = weight * log_n
        if len(vec) > self.params.mention_terms:
            top = sorted(vec.items(), key=lambda kv: (-kv[1], kv[0]))[: self.params.mention_terms]
            vec = dict(top)
            probes = [p for p in probes if p[1] in vec]
        inv = 1.0 / math.sqrt(sum(w * w for w in vec.values()))
        for term in vec:
            vec[term] *= inv
        return vec, probes

    def _best(
        self, vec: dict[str, float], probes: list[_Probe], at: int, named: _Named
    ) -> tuple[_Found, _Found]:
        """The two most similar joinable stories among candidates from the rarest terms.

        Postings are read from the rarest term on, as long as the entries read stay within
        ``max_probe``. When every term with postings was read the dot products are exact;
        otherwise the ``max_candidates`` best partial scores are rescored in full.
        """
        probes.sort()  # by size, then term: the (unique) term decides ties, never the dict
        budget = self.params.max_probe
        partial: dict[int, float] = {}
        work = 0
        complete = True
        for size, term, posting in probes:
            work += size
            if work > budget:
                complete = False
                break
            w = vec[term]
            for sid, cw in posting.items():
                partial[sid] = partial.get(sid, 0.0) + w * cw
        stories = self._table.stories
        scored = [(-dot * stories[sid].inv, sid) for sid, dot in partial.items()]
        if complete:
            scored.sort()
        else:
            ranked = heapq.nsmallest(self.params.max_candidates, scored)
            scored = sorted((-self._cosine(vec, stories[sid]), sid) for _, sid in ranked)
        found: list[tuple[Story, float]] = []
        for neg, sid in scored:
            story = stories[sid]
            if self._joinable(story, at, named):
                found.append((story, -neg))
                if len(found) == 2:
                    break
        return (found[0] if found else None), (found[1] if len(found) > 1 else None)

    def _threshold(self, terms: int) -> float:
        """Cosine needed to join: chance overlap grows like sqrt(terms), so long texts need more.

        ``terms`` counts content terms, bigrams as halves (``Features.content``).
        """
        p = self.params
        return min(p.long_threshold, p.threshold * math.sqrt(max(terms, _SHORT) / _SHORT))

    def _bridges(self, a: Story, b: Story) -> bool:
        """True when a mention close to both shows two stories to be one (centroid cosine)."""
        limit = self.params.merge_threshold
        if limit <= 0.0:
            return False
        small, large = (a, b) if len(a.terms) <= len(b.terms) else (b, a)
        terms = large.terms
        dot = sum(w * terms.get(term, 0.0) for term, w in small.terms.items())
        return dot * a.inv * b.inv >= limit

    @staticmethod
    def _cosine(vec: dict[str, float] | None, story: Story) -> float:
        if vec is None or not story.inv:
            return 0.0
        terms = story.terms
        return sum(w * terms.get(term, 0.0) for term, w in vec.items()) * story.inv

    def _joinable(self, story: Story, at: int, named: _Named) -> bool:
        """In the window, and naming no rival entity only (see ``kinds``)."""
        if not story.first - self._window <= at <= story.last + self._window:
            return False
        if not named:
            return True
        terms = story.terms
        for kind, own in named.items():
            of_kind = self._of_kind[kind]
            # whichever is shorter: the entities of this kind, or the story's terms
            theirs = ([t for t in of_kind if t in terms] if len(of_kind) <= len(terms)
                      else [t for t in terms if self._kinds.get(t) == kind])
            if theirs and own.isdisjoint(theirs):
                return False
        return True

    def _named(self, terms: Mapping[str, float]) -> _Named:
        """A mention's entity pseudo-terms by kind (empty when no kinds are configured)."""
        named: _Named = {}
        if self._kinds:
            for term in terms:
                kind = self._kinds.get(term)
                if kind is not None:
                    named.setdefault(kind, set()).add(term)
        return named
