"""The story engine's plain values: a mention to place, a placement, parameters, a signature.

Contract: frozen dataclasses, no behaviour beyond validation and the JSON round trip of
``StorySignature`` (``to_json`` gives only str / int / float / list / dict values, and
``from_json(to_json(s)) == s`` exactly, floats included).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from monitor.stories.features import Boosts

SIGNATURE_VERSION = 1

Reason = Literal["duplicate", "reply", "near_duplicate", "similar", "new", "no_content"]


@dataclass(frozen=True, slots=True)
class StoryDoc:
    """One mention to place in a story."""

    key: int  # the mention's id
    at: datetime  # aware UTC publication time, never in the future (the pipeline clamps it)
    text: str  # title + body, raw: the engine cleans and normalises
    entities: tuple[str, ...] = ()  # watched entity ids it matched; may be empty
    duplicate_of: int | None = None  # exact copy of this mention: join its story
    reply_to: int | None = None  # reply to / repost of this mention (the thread's root is best)


@dataclass(frozen=True, slots=True)
class Affinity:
    """What a mention's words share with a story it could join (``StoryIndex.affinities``)."""

    similarity: float  # cosine of its words (entity pseudo-terms left out) to the centroid
    comparable: bool  # the story holds words in a script of the mention's (ASCII, or not)


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where one mention went, and why."""

    key: int  # the mention's id
    story: int
    created: bool  # True when this mention started the story
    similarity: float  # cosine to the chosen story (the best one seen when created)
    reason: Reason
    merged: tuple[int, ...] = ()  # stories this mention showed to be the same: now ``story``


@dataclass(frozen=True, slots=True)
class StoryParams:
    """How mentions are grouped into stories (see monitor.stories.index for their use)."""

    threshold: float = 0.15  # cosine to a story's centroid a short post needs to join it
    long_threshold: float = 0.25  # the most a long text needs (see StoryIndex._threshold)
    window: timedelta = timedelta(hours=72)  # a story idle longer than this is closed
    max_terms: int = 64  # centroid terms kept per story
    mention_terms: int = 32  # a mention's highest-weighted terms that take part
    min_terms: int = 2  # fewer content terms: the text cannot join a story by content
    max_anchors: int = 8  # near-duplicate anchors kept per story (its first distinct texts)
    max_stories: int = 100_000  # cap on stories in memory (~4 KB each); least recent go first
    max_probe: int = 100  # postings entries read per mention to find candidates
    max_candidates: int = 4  # candidates rescored in full when not every posting was read
    merge_threshold: float = 0.25  # centroid cosine at which a bridging mention merges two
    boosts: Boosts = field(default_factory=Boosts)

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        if self.window <= timedelta(0):
            raise ValueError("window must be positive")
        sizes = (self.max_terms, self.mention_terms, self.max_stories, self.max_probe,
                 self.max_candidates)
        if min(sizes) < 1:
            raise ValueError("term, story, probe and candidate limits must be >= 1")


@dataclass(frozen=True, slots=True)
class StorySignature:
    """A story's whole engine state: persisted on the story row, loaded by any process."""

    story: int
    first: datetime  # first mention's publication time
    last: datetime  # latest mention's publication time
    size: int  # mentions placed
    terms: Mapping[str, float]  # centroid: sum of the members' unit TF-IDF vectors, truncated
    sq: float  # squared norm of ``terms`` as maintained (kept so a reload is bit-identical)
    anchors: tuple[str, ...] = ()  # near-duplicate anchors this story owns
    absorbed: tuple[int, ...] = ()  # stories merged into this one

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``json.dumps`` it as is)."""
        return {
            "v": SIGNATURE_VERSION,
            "story": self.story,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "size": self.size,
            "terms": dict(self.terms),
            "sq": self.sq,
            "anchors": list(self.anchors),
            "absorbed": list(self.absorbed),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StorySignature:
        """Inverse of ``to_json``; raises ValueError on another version or a malformed dict."""
        if data.get("v") != SIGNATURE_VERSION:
            raise ValueError(f"unknown story signature version {data.get('v')!r}")
        try:
            return cls(
                story=int(data["story"]),
                first=datetime.fromisoformat(data["first"]),
                last=datetime.fromisoformat(data["last"]),
                size=int(data["size"]),
                terms={str(k): float(v) for k, v in data["terms"].items()},
                sq=float(data["sq"]),
                anchors=tuple(str(a) for a in data.get("anchors", ())),
                absorbed=tuple(int(a) for a in data.get("absorbed", ())),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed story signature: {exc}") from exc
