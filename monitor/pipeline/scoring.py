"""Scoring a batch's candidates before they are stored (their scores go in the same INSERT)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from threading import Event, Lock
from typing import TYPE_CHECKING

from monitor.collectors.identity import tier_of
from monitor.pipeline.store import Candidate

if TYPE_CHECKING:  # imported with the models, by the first scoring (see LazyScorer)
    from classifiers.scorer import Score, ScoreInput, Scorer


@dataclass
class LazyScorer:
    """Loads the models on first use, so commands that never score never pay for them; the
    first load in a process also settles the heap (``_settle``)."""

    load: Callable[[], Scorer]
    _scorer: Scorer | None = field(default=None, init=False)
    _lock: Lock = field(default_factory=Lock, init=False)

    def get(self) -> Scorer:
        with self._lock:
            if self._scorer is None:
                self._scorer = self.load()
                _settle()
            return self._scorer


_settled = Event()


def _settle() -> None:
    """Once per process, when models are first loaded: move what the process holds out of
    the garbage collector's sight.

    The models, vocabularies and configuration live as long as the process; left in the
    oldest generation, every full collection traverses them again (a tenth of a second each,
    several per 20,000 ingested rows). Garbage is collected first, so none is kept forever.
    """
    if _settled.is_set():
        return
    _settled.set()
    gc.collect()
    gc.freeze()


@dataclass(frozen=True)
class MentionScoring:
    """The pipeline's scoring step: candidates in, one Score each out."""

    scorer: LazyScorer
    source_tiers: Mapping[str, int]
    entity_kinds: Mapping[str, str]
    kind_points: Mapping[str, int]
    observe_seconds: Callable[[float, int], None] | None = None

    def __call__(self, candidates: Sequence[Candidate], *, source_id: str) -> list[Score]:
        scorer = self.scorer.get()
        started = time.perf_counter()
        tier = tier_of(self.source_tiers, source_id)
        scores = scorer.score([self.input(c, tier=tier) for c in candidates])
        if self.observe_seconds is not None:
            self.observe_seconds(time.perf_counter() - started, len(candidates))
        return scores

    def input(self, cand: Candidate, *, tier: int) -> ScoreInput:
        """What the scorer reads of a candidate from a source of ``tier``."""
        from classifiers.scorer import ScoreInput

        item = cand.item
        return ScoreInput(
            text=cand.text,
            lang=cand.lang,
            source_tier=tier,
            author_reach=item.author_reach,
            metrics=item.metrics,
            entity_kind=self._kind(cand.entities),
        )

    def _kind(self, entities: Sequence[str]) -> str | None:
        """The matched entity kind that weighs most on impact (an executive over a topic)."""
        kinds = [self.entity_kinds[e] for e in entities if e in self.entity_kinds]
        return max(kinds, key=lambda k: self.kind_points.get(k, 0), default=None)
