"""Public helpers for tests and benchmarks: a StoryIndex fed the way the pipeline will feed it.

``StoryFeed`` plays the database's part: it allocates story ids from a counter, stores each
mention's story, relabels mentions when stories merge, and answers ``stories_of`` for
duplicates and replies; ``restarted()`` persists every signature through JSON into a fresh
index, as a restart of the service would, and ``fed_across_restart`` feeds a stream with such
a restart in the middle. ``mention`` builds a StoryDoc on a fixed clock and
``synthetic_stream`` a long, reproducible stream of Chinese and English posts about many
overlapping events (for bounds, restarts and determinism; not for quality).
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from monitor.stories.index import StoryIndex
from monitor.stories.model import Assignment, StoryDoc, StoryParams, StorySignature

T0 = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
_keys = itertools.count(1)


def mention(
    text: str, minutes: float = 0, *, entities: tuple[str, ...] = (),
    duplicate_of: int | None = None, reply_to: int | None = None,
) -> StoryDoc:
    """A mention published ``minutes`` after T0, with a fresh key."""
    return StoryDoc(key=next(_keys), at=T0 + timedelta(minutes=minutes), text=text,
                    entities=entities, duplicate_of=duplicate_of, reply_to=reply_to)


_EN_WORDS = (
    "recall", "outage", "delay", "refund", "rash", "leak", "strike", "fire", "flood", "protest",
    "lawsuit", "fraud", "breach", "price", "shortage", "crash", "hack", "fine", "ban", "review",
    "complaint", "rumour", "statement", "apology", "update",
)
_ZH_WORDS = (
    "召回", "停电", "延误", "退款", "过敏", "泄露", "罢工", "火灾", "洪水", "抗议", "诉讼",
    "诈骗", "涨价", "短缺", "事故", "黑客", "罚款",
)
_PLACES = (
    "Oslo", "Lima", "Pune", "Accra", "Quito", "Hanoi", "Perth", "Turin", "Leeds", "Davao",
    "成都", "武汉", "杭州", "南京", "厦门",
)


def synthetic_stream(*, mentions: int, hours: float, seed: int = 7) -> list[StoryDoc]:
    """Posts about events that start, run a few hours and stop, some in Chinese; reproducible.

    Each event has a place, a code and two topic words; its posts mix those with chatter, so
    the index keeps finding, joining and evicting stories over the whole span.
    """
    rng = random.Random(seed)
    out: list[StoryDoc] = []
    live: list[tuple[str, str, str, str, float]] = []
    step = hours * 60 / mentions
    for i in range(mentions):
        minute = i * step
        live = [e for e in live if e[4] > minute]
        if not live or rng.random() < 0.05:
            live.append((rng.choice(_PLACES), f"X{rng.randrange(10_000)}", rng.choice(_EN_WORDS),
                         rng.choice(_ZH_WORDS), minute + rng.uniform(60, 600)))
        place, code, word, zh_word, _ = rng.choice(live)
        if rng.random() < 0.3:
            text = f"{place}{zh_word}，{code}，" + "".join(rng.sample(_ZH_WORDS, 3))
        else:
            text = f"{place} {word} {code}: " + " ".join(rng.sample(_EN_WORDS, 4))
        out.append(StoryDoc(key=i + 1, at=T0 + timedelta(minutes=minute), text=text))
    return out


class StoredStories(Mapping[int, int]):
    """Mention -> story as the database would hold it: merged stories are relabelled."""

    def __init__(self) -> None:
        self.story_of: dict[int, int] = {}
        self.merged_into: dict[int, int] = {}

    def final(self, story: int) -> int:
        """The story ``story`` was merged into, at the end of any chain of merges."""
        while story in self.merged_into:
            story = self.merged_into[story]
        return story

    def record(self, placed: Sequence[Assignment]) -> None:
        for a in placed:
            self.story_of[a.key] = a.story
            for gone in a.merged:
                self.merged_into[gone] = a.story

    def __getitem__(self, key: int) -> int:
        return self.final(self.story_of[key])

    def __iter__(self) -> Iterator[int]:
        return iter(self.story_of)

    def __len__(self) -> int:
        return len(self.story_of)


class StoryFeed:
    """An index, an id counter and the stored mention -> story map, fed in batches."""

    def __init__(self, params: StoryParams | None = None) -> None:
        self.params = params or StoryParams()
        self.index = StoryIndex(params=self.params)
        self.stored = StoredStories()
        self.last_id = 0

    def new_story(self, _doc: StoryDoc) -> int:
        self.last_id += 1
        return self.last_id

    def feed(self, docs: Sequence[StoryDoc], *, batch: int = 500) -> list[Assignment]:
        """Assign ``docs`` in batches of ``batch``, recording each placement."""
        out: list[Assignment] = []
        for start in range(0, len(docs), batch):
            placed = self.index.assign(
                docs[start : start + batch], new_story=self.new_story, stories_of=self.stored
            )
            self.stored.record(placed)
            out.extend(placed)
        return out

    def story(self, key: int) -> int:
        """The story mention ``key`` belongs to now (after later merges)."""
        return self.stored[key]

    def restarted(self) -> StoryFeed:
        """A fresh feed whose index was loaded from every signature, each through JSON."""
        rows = [json.dumps(self.index.signature(s).to_json()) for s in self.index.active()]
        other = StoryFeed(self.params)
        other.index.load(StorySignature.from_json(json.loads(row)) for row in rows)
        other.stored, other.last_id = self.stored, self.last_id
        return other


def fed_across_restart(
    docs: Sequence[StoryDoc], split: int, params: StoryParams | None = None
) -> tuple[StoryFeed, StoryFeed]:
    """A feed given ``docs[:split]``, and the feed restarted from it and given the rest."""
    first = StoryFeed(params)
    first.feed(docs[:split])
    second = first.restarted()
    second.feed(docs[split:])
    return first, second
