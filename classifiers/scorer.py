"""One call from a mention to its sentiment, intent, risk categories and risk-matrix grade.

``Scorer.load`` reads every model once; jieba is only initialised when a feature spec needs
Chinese words (the shipped models use characters), so scoring English never loads it.
``Scorer.score`` works in micro-batches, featurises each text once per feature spec for all
models, is deterministic, and never raises on any text: a text that breaks something gets an
"unknown" sentiment and no categories, and its assessment says so. Junk text (no words, one
repeated character) gets no category and no intent; positive sentiment about a reported bad
event is read as irony (``classifiers.irony``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.intent import UNKNOWN_INTENT, Intent, IntentModel, intent_from_row
from classifiers.irony import ironic_intent, read_irony
from classifiers.junk import junk_reason
from classifiers.languages import ALL_LANGS, OTHER
from classifiers.matrix import Assessment, MatrixConfig, RiskSignals, assess
from classifiers.risk import CategorySpec, FeatureCache, Features, RiskClassifier
from classifiers.risk_lexicon import CategoryScore
from classifiers.sentiment import (
    DEFAULT_MODELS_DIR,
    UNIFORM,
    LanguageSentiment,
    SentimentModel,
    SentimentResult,
    result_from_row,
    sentiment_language,
)
from classifiers.text import clean, detect_lang, init_jieba

log = logging.getLogger(__name__)
MICRO_BATCH = 256
# A category with ``requires_intent`` is dropped when its intent gets less than this.
INTENT_GATE = 0.5
ASSESS_CACHE = 8192
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
    intent: Intent = UNKNOWN_INTENT

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for storage and ``--json`` output."""
        return {
            "lang": self.lang,
            "sentiment": {
                "label": self.sentiment.label,
                "probs": {k: round(float(v), 4) for k, v in self.sentiment.probs.items()},
            },
            "intent": self.intent.to_dict(),
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


def _entity_kind(item: ScoreInput) -> str | None:
    kind = getattr(item, "entity_kind", None)
    return kind if isinstance(kind, str) else None


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


def model_languages(texts: Iterable[str]) -> set[str]:
    """The languages whose models scoring ``texts`` (with no language given) reads: a scorer
    loaded with only these scores them exactly as one with every model."""
    out: set[str] = set()
    for text in texts:
        cleaned = clean(_as_text(text))
        lang = detect_lang(cleaned)
        out |= {lang, sentiment_language(cleaned, lang)}
    return out


class Scorer:
    """Sentiment + risk categories + risk matrix, loaded once, used for every mention."""

    def __init__(
        self,
        *,
        sentiment: SentimentModel,
        risk: RiskClassifier,
        matrix: MatrixConfig,
        intent: IntentModel | None = None,
    ) -> None:
        self.sentiment = sentiment
        self.risk = risk
        self.matrix = matrix
        self.intent = intent or IntentModel({})
        self._events = frozenset(c.name for c in risk.categories if c.negative_event)
        self._needs = {c.name: c.requires_intent for c in risk.categories if c.requires_intent}
        self._assessed: dict[tuple[object, ...], Assessment] = {}

    @classmethod
    def load(
        cls,
        *,
        models_dir: Path | None = None,
        categories: Sequence[CategorySpec] | None = None,
        matrix: MatrixConfig | None = None,
        user_words: Iterable[str] = (),
        only: Collection[str] | None = None,
    ) -> Scorer:
        """Load the sentiment, intent and risk models, or only those for the languages in
        ``only`` (see ``model_languages``); ``user_words`` go to jieba when (if ever) a
        Chinese text is segmented into words."""
        init_jieba(user_words, lazy=True)
        return cls(
            sentiment=SentimentModel.load(models_dir, only),
            risk=RiskClassifier.load(models_dir=models_dir, categories=categories, only=only),
            matrix=matrix or MatrixConfig(),
            intent=IntentModel.load(models_dir or DEFAULT_MODELS_DIR, only),
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
            return self._assemble(item, OTHER, _UNKNOWN, (), UNKNOWN_INTENT, None)

    def _score_batch(self, items: Sequence[ScoreInput]) -> list[Score]:
        texts = [_as_text(getattr(item, "text", "")) for item in items]
        cleaned = [clean(t) for t in texts]
        junk = [junk_reason(c) for c in cleaned]
        given = [
            getattr(item, "lang", None) if getattr(item, "lang", None) in ALL_LANGS else None
            for item in items
        ]
        langs = [g or detect_lang(c) for g, c in zip(given, cleaned, strict=True)]
        # Junk rows are featurised as empty text: no model sees them, none is billed for them.
        kept = [c if j is None else "" for c, j in zip(cleaned, junk, strict=True)]
        cache = FeatureCache(kept, langs)
        sentiments = self._sentiments(texts, kept, langs, given, cache, junk)
        intents = self._intents(kept, cache)
        ruled_out = [
            self._ruled_out(intent, lang) for intent, lang in zip(intents, langs, strict=True)
        ]
        kinds = [_entity_kind(item) for item in items]
        categories = self.risk.score(
            texts, langs, cache=cache, cleaned=kept, ruled_out=ruled_out, entity_kinds=kinds
        )
        out: list[Score] = []
        for i, item in enumerate(items):
            cats = categories[i]
            sentiment = read_irony(sentiments[i], cats, text=cleaned[i], events=self._events)
            ironic = sentiments[i].label == "positive" and sentiment.label == "negative"
            intent = ironic_intent(intents[i]) if ironic else intents[i]
            out.append(self._assemble(item, langs[i], sentiment, cats, intent, junk[i]))
        return out

    def _ruled_out(self, intent: Intent, lang: str) -> frozenset[str]:
        """Categories whose required intent the intent model rules out (a question about
        where to buy is not a complaint, whatever words it shares with complaints); the risk
        classifier drops them before explaining them."""
        if lang not in self.intent.models:
            return frozenset()
        return frozenset(
            name
            for name, need in self._needs.items()
            if float(intent.probs.get(need, 0.0)) < INTENT_GATE
        )

    def _intents(self, cleaned: Sequence[str], cache: FeatureCache) -> list[Intent]:
        """Intent per row from each language's model, on the batch's shared features."""
        out = [UNKNOWN_INTENT] * len(cleaned)
        for lang, model in self.intent.models.items():
            features = cache.features(model.spec)
            if not len(features.rows):
                continue
            probs = self.intent.proba(lang, features.hashed).tolist()
            for j, row in enumerate(features.rows.tolist()):
                if cleaned[row]:
                    out[row] = intent_from_row(probs[j])
        return out

    def _sentiments(
        self,
        texts: Sequence[str],
        cleaned: Sequence[str],
        langs: Sequence[str],
        given: Sequence[str | None],
        cache: FeatureCache,
        junk: Sequence[str | None],
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
            probs = _pipeline_proba(pipeline, features).tolist()
            rows = features.rows.tolist()
            for j in keep:
                results[rows[j]] = result_from_row(probs[j], lang)
        rest = [i for i, r in enumerate(results) if r is None and junk[i] is None]
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
        intent: Intent,
        junk: str | None,
    ) -> Score:
        if junk is not None:
            sentiment = SentimentResult("unknown", UNIFORM, lang)
            categories, intent = (), UNKNOWN_INTENT
        negative: float | None = None
        if sentiment.label != "unknown":
            # Read to the whole percent, as the reason shows it; equal inputs share one
            # assessment (most mentions of a batch differ only in a few signals).
            negative = round(float(sentiment.probs.get("negative", 0.0)), 2)
        entity_kind = _entity_kind(item)
        spread_ratio = _ratio(getattr(item, "spread_ratio", None))
        source_tier = _tier(getattr(item, "source_tier", 3))
        author_reach = _reach(getattr(item, "author_reach", None))
        metrics = _metrics(getattr(item, "metrics", {}))
        # The cache key holds every RiskSignals field, so RiskSignals is only built to assess.
        key = (
            negative,
            categories,
            spread_ratio,
            source_tier,
            author_reach,
            entity_kind,
            tuple(metrics.items()),
        )
        result = self._assessed.get(key)
        if result is None:
            if len(self._assessed) >= ASSESS_CACHE:
                self._assessed.clear()
            signals = RiskSignals(
                negative_prob=negative,
                categories=categories,
                spread_ratio=spread_ratio,
                source_tier=source_tier,
                author_reach=author_reach,
                metrics=metrics,
                entity_kind=entity_kind,
            )
            result = self._assessed[key] = assess(signals=signals, config=self.matrix)
        reasons = result.reasons
        if junk is not None:
            reasons = (f"likelihood {result.likelihood}: junk text ({junk})", *reasons[1:])
        return Score(
            lang=lang,
            sentiment=sentiment,
            categories=categories,
            top_category=categories[0].category if categories else None,
            likelihood=result.likelihood,
            impact=result.impact,
            grade=result.grade,
            reasons=reasons,
            intent=intent,
        )
