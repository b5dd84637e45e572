"""Score newly stored mentions in the same transaction that stored them."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from threading import Lock
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from classifiers.scorer import Score, ScoreInput, Scorer
from monitor.collectors.base import with_title
from monitor.db.models import Mention

_TABLE = cast(Table, Mention.__table__)


@dataclass
class LazyScorer:
    """Loads the models on first use, so commands that never score never pay for them."""

    load: Callable[[], Scorer]
    _scorer: Scorer | None = field(default=None, init=False)
    _lock: Lock = field(default_factory=Lock, init=False)

    def get(self) -> Scorer:
        with self._lock:
            if self._scorer is None:
                self._scorer = self.load()
            return self._scorer


@dataclass(frozen=True)
class MentionScoring:
    """The ``after_batch`` step that fills a batch's scoring columns."""

    scorer: LazyScorer
    source_tiers: Mapping[str, int]
    entity_kinds: Mapping[str, str]
    kind_points: Mapping[str, int]
    observe_seconds: Callable[[float, int], None] | None = None

    def __call__(self, session: Session, *, mention_ids: list[int], now: datetime) -> None:
        rows = session.execute(
            select(
                _TABLE.c.id,
                _TABLE.c.text,
                _TABLE.c.title,
                _TABLE.c.lang,
                _TABLE.c.source_id,
                _TABLE.c.author_reach,
                _TABLE.c.metrics,
                _TABLE.c.entities,
            ).where(_TABLE.c.id.in_(mention_ids))
        ).all()
        started = time.perf_counter()
        scores = self.scorer.get().score([self._input(r) for r in rows])
        if self.observe_seconds is not None:
            self.observe_seconds(time.perf_counter() - started, len(rows))
        if rows:
            session.execute(
                update(_TABLE).where(_TABLE.c.id == bindparam("b_id")),
                [
                    score_columns(row.id, score, now)
                    for row, score in zip(rows, scores, strict=True)
                ],
            )

    def _input(self, row: Any) -> ScoreInput:
        return ScoreInput(
            text=with_title(row.title, row.text),
            lang=row.lang,
            source_tier=self.source_tiers.get(row.source_id, 3),
            author_reach=row.author_reach,
            metrics=row.metrics or {},
            entity_kind=self._kind(row.entities or ()),
        )

    def _kind(self, entities: Sequence[str]) -> str | None:
        """The matched entity kind that weighs most on impact (an executive over a topic)."""
        kinds = [self.entity_kinds[e] for e in entities if e in self.entity_kinds]
        return max(kinds, key=lambda k: self.kind_points.get(k, 0), default=None)


def score_columns(mention_id: int, score: Score, now: datetime) -> dict[str, Any]:
    """The mention columns for one Score, keyed for an executemany UPDATE."""
    data = score.to_dict()
    return {
        "b_id": mention_id,
        "lang": score.lang,
        "sentiment": score.sentiment.label,
        "sentiment_probs": data["sentiment"]["probs"],
        "categories": data["categories"],
        "top_category": score.top_category,
        "likelihood": score.likelihood,
        "impact": score.impact,
        "grade": score.grade,
        "reasons": list(score.reasons),
        "scored_at": now,
    }
