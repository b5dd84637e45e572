"""One call from a mention to its sentiment, risk categories and place on the risk matrix.

``Scorer.load`` reads every model once (and initialises jieba once); ``Scorer.score`` works in
micro-batches, is deterministic, and never raises on any text: a text that breaks something
gets an "unknown" sentiment and no categories, and its assessment says so.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from classifiers.languages import ALL_LANGS, OTHER
from classifiers.matrix import MatrixConfig, RiskSignals, assess
from classifiers.risk import CategorySpec, FeatureCache, Features, RiskClassifier
from classifiers.risk_lexicon import CategoryScore
from classifiers.sentiment import LABELS, LanguageSentiment, SentimentModel, SentimentResult
from classifiers.text import clean, detect_lang, init_jieba

log = logging.getLogger(__name__)
MICRO_BATCH = 256
_UNKNOWN = SentimentResult(label="unknown", probs={}, lang=OTHER)


@dataclass(frozen=True)
class ScoreInput:
    """A mention to score: its text plus what the matrix needs about where it appeared."""

    text: str
    lang: str | None = None
    source_tier: int = 3
    author_reach: int | None = None
    metrics: Mapping[str, int] = field(default_factory=dict)
    entity_kind: str | None = None
    spread_ratio: float | None = None


@dataclass(frozen=True)
class Score:
    """Everything the classifiers say about one mention."""

    lang: str
    sentiment: SentimentResult
    categories: tuple[CategoryScore, ...]
    top_category: str | None
    likelihood: int
    impact: int
    grade: str
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for storage and ``--json`` output."""
        return {
            "lang": self.lang,
            "sentiment": {
                "label": self.sentiment.label,
                "probs": {k: round(float(v), 4) for k, v in self.sentiment.probs.items()},
            },
            "categories": [
                {
                    "category": c.category,
                    "score": round(float(c.score), 4),
                    "severity": c.severity,
                    "evidence": list(c.evidence),
                    "source": c.source,
                }
                for c in self.categories
            ],
            "top_category": self.top_category,
            "likelihood": self.likelihood,
            "impact": self.impact,
            "grade": self.grade,
            "reasons": list(self.reasons),
        }


def _pipeline_proba(pipeline: LanguageSentiment, features: Features) -> np.ndarray:
    """``LanguageSentiment.proba`` for a batch featurised once for all models (LABELS order)."""
    # _inputs is the sentiment pipeline's own step after featurising; the scorer calls it so
    # the texts are not tokenised and hashed a second time (see the reply to the lead).
    inputs = pipeline._inputs(features.hashed, features.featurized.tokens)
    return pipeline.proba_from_inputs(inputs)


def _result(row: np.ndarray, lang: str) -> SentimentResult:
    values = [float(v) if math.isfinite(float(v)) else 0.0 for v in row]
    total = sum(values)
    if total <= 0:
        return SentimentResult("unknown", MappingProxyType({lab: 1 / 3 for lab in LABELS}), lang)
    probs = {lab: v / total for lab, v in zip(LABELS, values, strict=True)}
    best = max(LABELS, key=lambda lab: probs[lab])  # ties resolve in LABELS order
    return SentimentResult(best, MappingProxyType(probs), lang)


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)


def _tier(value: object) -> int:
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 3 else 3
    )


def _reach(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return max(0, int(value))


def _metrics(value: object) -> dict[str, int]:
    if not isinstance(value, Mapping):
        return {}
    out: dict[str, int] = {}
    for key, raw in value.items():
        reach = _reach(raw)
        if isinstance(key, str) and reach is not None:
            out[key] = reach
    return out


def _ratio(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    ratio = float(value)
    return ratio if math.isfinite(ratio) and ratio >= 0 else None


class Scorer:
    """Sentiment + risk categories + risk matrix, loaded once, used for every mention."""

    def __init__(
        self, *, sentiment: SentimentModel, risk: RiskClassifier, matrix: MatrixConfig
    ) -> None:
        self.sentiment = sentiment
        self.risk = risk
        self.matrix = matrix

    @classmethod
    def load(
        cls,
        *,
        models_dir: Path | None = None,
        categories: Sequence[CategorySpec] | None = None,
        matrix: MatrixConfig | None = None,
        user_words: Iterable[str] = (),
    ) -> Scorer:
        """Initialise jieba with ``user_words`` and load the sentiment and risk models."""
        init_jieba(user_words)
        return cls(
            sentiment=SentimentModel.load(models_dir),
            risk=RiskClassifier.load(models_dir=models_dir, categories=categories),
            matrix=matrix or MatrixConfig(),
        )

    def score(self, items: Sequence[ScoreInput]) -> list[Score]:
        """Score mentions in micro-batches; same input, same output; never raises."""
        out: list[Score] = []
        for start in range(0, len(items), MICRO_BATCH):
            chunk = items[start : start + MICRO_BATCH]
            try:
                out.extend(self._score_batch(chunk))
            except Exception:  # noqa: BLE001 - one bad text must not sink the batch
                log.exception("batch scoring failed; scoring %d items one by one", len(chunk))
                out.extend(self._score_safely(item) for item in chunk)
        return out

    def score_one(self, item: ScoreInput) -> Score:
        """Score a single mention (same result as inside a batch)."""
        return self.score([item])[0]

    def _score_safely(self, item: ScoreInput) -> Score:
        try:
            return self._score_batch([item])[0]
        except Exception:  # noqa: BLE001 - last resort: a graded, explained empty score
            log.exception("scoring failed for one item; returning an unknown score")
            return self._assemble(item, OTHER, _UNKNOWN, ())

    def _score_batch(self, items: Sequence[ScoreInput]) -> list[Score]:
        texts = [_as_text(getattr(item, "text", "")) for item in items]
        cleaned = [clean(t) for t in texts]
        given = [item.lang if item.lang in ALL_LANGS else None for item in items]
        langs = [g or detect_lang(c) for g, c in zip(given, cleaned, strict=True)]
        cache = FeatureCache(cleaned, langs)
        sentiments = self._sentiments(texts, cleaned, langs, given, cache)
        categories = self.risk.score(texts, langs, cache=cache, cleaned=cleaned)
        return [
            self._assemble(item, lang, sent, cats)
            for item, lang, sent, cats in zip(items, langs, sentiments, categories, strict=True)
        ]

    def _sentiments(
        self,
        texts: Sequence[str],
        cleaned: Sequence[str],
        langs: Sequence[str],
        given: Sequence[str | None],
        cache: FeatureCache,
    ) -> list[SentimentResult]:
        """Sentiment reusing the risk models' extracted terms where the specs agree.

        Texts the sentiment model would treat specially (empty, other languages, emoji
        only) go through ``SentimentModel.predict`` itself; a test checks both paths agree.
        """
        results: list[SentimentResult | None] = [None] * len(texts)
        for lang, pipeline in self.sentiment.languages.items():
            features = cache.features(pipeline.main.spec)
            keep = [j for j, row in enumerate(features.rows.tolist()) if cleaned[row]]
            if not keep:
                continue
            probs = _pipeline_proba(pipeline, features)
            for j in keep:
                p = probs[j]
                results[int(features.rows[j])] = _result(p, lang)
        rest = [i for i, r in enumerate(results) if r is None]
        if rest:
            slow = self.sentiment.predict([texts[i] for i in rest], [given[i] for i in rest])
            for i, r in zip(rest, slow, strict=True):
                results[i] = r
        return [r if r is not None else _UNKNOWN for r in results]

    def _assemble(
        self,
        item: ScoreInput,
        lang: str,
        sentiment: SentimentResult,
        categories: tuple[CategoryScore, ...],
    ) -> Score:
        negative: float | None = None
        if sentiment.label != "unknown":
            negative = float(sentiment.probs.get("negative", 0.0))
        signals = RiskSignals(
            negative_prob=negative,
            categories=categories,
            spread_ratio=_ratio(getattr(item, "spread_ratio", None)),
            source_tier=_tier(getattr(item, "source_tier", 3)),
            author_reach=_reach(getattr(item, "author_reach", None)),
            metrics=_metrics(getattr(item, "metrics", {})),
            entity_kind=getattr(item, "entity_kind", None)
            if isinstance(getattr(item, "entity_kind", None), str)
            else None,
        )
        result = assess(signals=signals, config=self.matrix)
        return Score(
            lang=lang,
            sentiment=sentiment,
            categories=categories,
            top_category=categories[0].category if categories else None,
            likelihood=result.likelihood,
            impact=result.impact,
            grade=result.grade,
            reasons=result.reasons,
        )
