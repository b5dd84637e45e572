"""Risk categories for texts: learned models where labelled data exists, lexicons everywhere.

Where a model file carries a fitted ``combination`` (see ``Combination``: weights for the
model's logit, the lexicon score and whether any lexicon term is present, fitted with the
decision threshold folded in on a held-out slice of the training side), a text's category score
is that combination's probability (or the lexicon score when it reaches ``LEXICON_SURE``, or the
category's threshold for a ``lexicon_alone`` category); otherwise, and for categories without a
model in the text's language, it is ``max(model probability, lexicon score)``. The category is
reported when the score reaches the category's threshold. A category with ``cue_required`` only
takes its model when one of its lexicon terms is present; with ``cue_with`` only when a term is
present or none of the named categories is found. ``source`` says which side reached it alone
("both" when each did, and always when a fitted combination weighed a lexicon term) and
``evidence`` lists the matched lexicon terms, then the features that pushed the model hardest;
a model reaches a category alone only when some feature other than a collection placeholder
(@user, url, rt) pushed it there.
Models are ``LinearTextModel`` files named ``risk_*.npz/.json`` whose header meta names their
category and language.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from classifiers.features import (
    FeatureSpec,
    Featurized,
    HashedBlock,
    ModelFormatError,
    char_terms_in_block_order,
    extract_terms,
    featurize_texts,
    term_columns,
    word_ngrams,
)
from classifiers.linear import LinearTextModel, saved_model_lang
from classifiers.normalise import has_unspaced
from classifiers.risk_lexicon import (
    CategoryScore,
    CategorySpec,
    LexiconMatcher,
    Source,
    lexicon_scores,
    load_categories,
)
from classifiers.text import clean, to_simplified

__all__ = [
    "CategoryScore",
    "Combination",
    "CategorySpec",
    "FeatureCache",
    "Features",
    "LearnedModel",
    "RiskClassifier",
    "default_models_dir",
]

log = logging.getLogger(__name__)
MAX_EVIDENCE = 5
MODEL_EVIDENCE = 3
MAX_EVIDENCE_CHARS = 40
# A lexicon score this high (several strong terms, e.g. 傻逼 + 脑残) is reported whatever a
# fitted combination says: a model's data can define its category more narrowly than the
# lexicon does (COLD labels offence against groups, not insults aimed at one person).
LEXICON_SURE = 0.9


def default_models_dir() -> Path:
    """The shipped model folder, classifiers/models."""
    return Path(__file__).resolve().parent / "models"


@dataclass(frozen=True)
class Features:
    """One spec's hashed features for the rows of a batch in its language."""

    spec: FeatureSpec
    rows: np.ndarray
    cleaned: list[str]
    featurized: Featurized
    # (pos, block) -> block_terms: a row hit by several models is explained from one copy.
    _terms: dict[tuple[int, str], tuple[list[str], np.ndarray, np.ndarray]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def hashed(self) -> tuple[HashedBlock, ...]:
        return self.featurized.hashed

    def word_terms(self, pos: int) -> list[str]:
        """Word n-gram terms of row ``pos``, rebuilt from the fast path's tokens (no second
        tokenisation; a test checks they equal ``extract_terms(...).words``)."""
        return word_ngrams(self.featurized.tokens[pos], self.spec.word_ngrams)

    def block_terms(self, pos: int, block: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(terms, column, value) of row ``pos`` in its ``words`` or ``chars`` block, one
        entry per term; built once per row and block."""
        found = self._terms.get((pos, block))
        if found is not None:
            return found
        spec = self.spec
        text = self.cleaned[pos]
        # Character explanations clean the text again (extract_terms), and clean() is not
        # idempotent on every text (adjacent @mentions): those rows keep the slow path's terms.
        in_block_order = not spec.binary and (
            block == "words" or (spec.char_mode == "chars" and clean(text) == text)
        )
        if block == "words":
            terms = self.word_terms(pos)
        elif in_block_order:
            terms = char_terms_in_block_order(text, spec)
        else:
            terms = extract_terms(text, spec).chars
        if in_block_order:
            # The batch's block holds this row's entries in term order, so the terms need no
            # second hashing (binary blocks merge repeats, and word-bounded char blocks order
            # n-grams across word edges, so those are rehashed).
            hashed = self.hashed[0 if block == "words" else -1]
            lo, hi = int(hashed.indptr[pos]), int(hashed.indptr[pos + 1])
            cols, vals = hashed.indices[lo:hi], hashed.data[lo:hi]
        else:
            cols, vals = term_columns(terms, spec, block)
        found = self._terms[(pos, block)] = (terms, cols, vals)
        return found


class FeatureCache:
    """Each cleaned text featurised once per FeatureSpec and shared by all its models."""

    def __init__(self, cleaned: Sequence[str], langs: Sequence[str]) -> None:
        self.cleaned = cleaned
        self.langs = langs
        self._features: dict[FeatureSpec, Features] = {}

    def features(self, spec: FeatureSpec) -> Features:
        """Features of the rows whose language is ``spec.lang``."""
        found = self._features.get(spec)
        if found is None:
            rows = np.array([i for i, lang in enumerate(self.langs) if lang == spec.lang], int)
            texts = [self.cleaned[i] for i in rows.tolist()]
            featurized = (
                featurize_texts(texts, spec, pre_cleaned=True, like=self._like(spec))
                if texts
                else Featurized((), [])
            )
            found = self._features[spec] = Features(spec, rows, texts, featurized)
        return found

    def _like(self, spec: FeatureSpec) -> Featurized | None:
        """These rows featurised for another spec that tokenises them the same way."""
        for other, done in self._features.items():
            if other.has_words and (other.lang, other.max_chars) == (spec.lang, spec.max_chars):
                return done.featurized
        return None


def positive_proba(model: LinearTextModel, features: Features, positive: str) -> np.ndarray:
    """Probability of class ``positive`` per row (equals ``model.predict_proba``)."""
    if not len(features.rows):
        return np.zeros(0)
    z = model.logits_from_hashed(features.hashed)
    c = model.classes.index(positive)
    if model.output == "sigmoid":
        out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z[:, c], -50.0, 50.0)))
        return out
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    result: np.ndarray = e[:, c] / e.sum(axis=1)
    return result


BLOCKS = ("words", "chars")
# A feature's punctuation at either end ("，骗子", "@user :", ": url") is not part of the word.
_EDGES = re.compile(r"^[^\w@#]+|[^\w@#]+$")


def top_terms(
    weights: np.ndarray,
    features: Features,
    pos: int,
    *,
    k: int = 12,
    blocks: tuple[str, ...] = BLOCKS,
) -> list[tuple[str, float]]:
    """Terms of row ``pos`` with the largest positive summed contribution ``value * weight``;
    substrings of a kept term are dropped so the list stays readable. Words come from the
    batch's tokens and hashed entries; characters need the text's n-grams again, so they are
    only built on request (``Features.block_terms``, once per row for all its models)."""
    spec = features.spec
    parts: list[str] = []
    if "words" in blocks and spec.has_words:
        parts.append("words")
    if "chars" in blocks and spec.has_chars:
        parts.append("chars")
    scored: dict[str, float] = {}
    for block in parts:
        terms, cols, vals = features.block_terms(pos, block)
        if not len(cols):
            continue
        contrib = vals * weights[cols]
        # Pruned models weigh few columns: only terms that move the score are looked at.
        for i in np.flatnonzero(contrib).tolist():
            term = _EDGES.sub("", terms[i])
            if term:
                scored[term] = scored.get(term, 0.0) + float(contrib[i])
    out: list[tuple[str, float]] = []
    for term, value in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0])):
        if value <= 0:
            break
        if not any(term in kept for kept, _ in out):
            out.append((term, round(value, 4)))
        if len(out) >= k:
            break
    return out


@dataclass(frozen=True)
class Combination:
    """A model's logit and its category's lexicon, combined by a fitted logistic regression.

    ``bias`` has the decision threshold fitted on held-out text folded in, so the probability
    reaches 0.5 exactly where the fitted decision does; a lexicon term alone therefore counts
    only as much as the held-out text showed it to be worth next to the model."""

    model: float
    lexicon: float
    cue: float
    bias: float

    @classmethod
    def from_meta(cls, value: object, name: str = "") -> Combination | None:
        """Read the ``combination`` entry of a model's meta (None when absent)."""
        if value is None:
            return None
        try:
            assert isinstance(value, Mapping)
            parts = [float(value[k]) for k in ("model", "lexicon", "cue", "bias")]
        except (AssertionError, KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{name}: bad combination in meta ({exc})") from exc
        if not all(np.isfinite(parts)):
            raise ModelFormatError(f"{name}: combination weights must be finite")
        return cls(*parts)

    def to_meta(self) -> dict[str, float]:
        """The form stored in a model's meta."""
        return {"model": self.model, "lexicon": self.lexicon, "cue": self.cue, "bias": self.bias}

    def logit(self, z: Any, lexicon: Any) -> Any:
        """Combined logit for model logit(s) ``z`` and lexicon score(s) (0: no term found);
        floats or numpy arrays alike."""
        return self.model * z + self.lexicon * lexicon + self.cue * (lexicon > 0) + self.bias

    def proba(self, z: np.ndarray, lexicon: np.ndarray) -> np.ndarray:
        """Combined probability for arrays of model logits and lexicon scores."""
        return sigmoid(self.logit(z, lexicon))


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """The logistic function, clipped so large logits do not overflow."""
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(np.asarray(z, np.float64), -50.0, 50.0)))
    return out


@dataclass(frozen=True)
class LearnedModel:
    """A shipped binary model for one category in one language, as sparse logit weights.

    ``rows``/``weights`` hold the non-zero entries of the positive class's logit difference
    (calibration folded in), so p = sigmoid(x[rows] . weights + bias) equals the model's
    ``predict_proba``; the classifier stacks these into one matrix per feature spec.
    """

    category: str
    lang: str
    spec: FeatureSpec
    rows: np.ndarray
    weights: np.ndarray
    bias: float
    name: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)
    combination: Combination | None = None


def learned_from_model(model: LinearTextModel, name: str = "") -> LearnedModel:
    """Fold a binary softmax model into its logit-difference weights."""
    category, lang = model.meta.get("category"), model.meta.get("lang")
    if not isinstance(category, str) or lang != model.spec.lang:
        raise ModelFormatError(f"{name}: meta must name the category and the spec's lang")
    if len(model.classes) != 2 or model.classes[1] != category or model.output != "softmax":
        raise ModelFormatError(f"{name}: must be a two-class softmax model ending in {category!r}")
    coef_t = model.coef_t
    diff = (coef_t[:, 1] - coef_t[:, 0]) / model.temperature
    rows = np.flatnonzero(diff).astype(np.int32)
    bias = (model.intercept[1] - model.intercept[0]) / model.temperature + (
        model.class_bias[1] - model.class_bias[0]
    )
    return LearnedModel(
        category=category,
        lang=lang,
        spec=model.spec,
        rows=rows,
        weights=diff[rows].astype(np.float32),
        bias=float(bias),
        name=name,
        meta=dict(model.meta),
        combination=Combination.from_meta(model.meta.get("combination"), name),
    )


def load_learned(models_dir: Path, only: Collection[str] | None = None) -> list[LearnedModel]:
    """Every ``risk_*`` model in a folder (or only those for the languages in ``only``);
    ModelFormatError names a broken file."""
    return [
        learned_from_model(LinearTextModel.load(npz), name=str(npz))
        for npz in sorted(models_dir.glob("risk_*.npz"))
        if only is None or saved_model_lang(npz) in only
    ]


class _Stack:
    """All models of one feature spec as one dense matrix: one product scores them all."""

    def __init__(self, spec: FeatureSpec, models: Sequence[LearnedModel]) -> None:
        self.spec = spec
        self.models = tuple(models)
        self.weights = np.zeros((spec.n_features, len(models)), np.float32)
        for j, m in enumerate(models):
            self.weights[m.rows, j] = m.weights
        self.bias = np.array([m.bias for m in models], np.float32)
        combos = [m.combination for m in models]
        # The score of a text with no lexicon term, per model: sigmoid(scale * z + shift).
        self.scale = np.array([c.model if c else 1.0 for c in combos], np.float64)
        self.shift = np.array([c.bias if c else 0.0 for c in combos], np.float64)

    def logits(self, features: Features) -> np.ndarray:
        z = np.zeros((len(features.rows), len(self.models)), np.float32)
        for block in features.hashed:
            z += block.dot(self.weights)
        z += self.bias
        return z.astype(np.float64)

    def proba(self, features: Features) -> np.ndarray:
        """Each model's own probability (before any combination)."""
        return sigmoid(self.logits(features))


_WORDISH = re.compile(r"[^\W_]")
_NOT_EVIDENCE = frozenset({"url", "@user", "user", "rt"})
_STOP_WORDS = """a an and are as at be but by for from i in is it me my of on or so that the
this to was we you your 的 了 是 我 你 他 她 在 就 都 也 和 有 个
吗 吧 啊 呢 这 那 就是 真是 一个"""
_STOP = frozenset(_STOP_WORDS.split())


def _artefact(term: str) -> bool:
    """A term made only of collection placeholders (@user, url, rt) and punctuation: the sets
    a model learnt from were collected differently (CrisisLex is mostly retweets), so such a
    term says how a text was posted, not what it reports."""
    return all(part in _NOT_EVIDENCE or not _WORDISH.search(part) for part in term.split())


# Chinese particles that attach to any word: a character n-gram starting or ending with one
# (的认, 面的, 是没, 了吧) is a fragment of two words, not one a reader can check.
_PARTICLES = frozenset("的了是在就也都着过吗呢吧啊么")
_INNER_MARKS = re.compile(r"[^\w\s'’\-]")


def _readable(term: str) -> bool:
    """Model features worth showing a person: two or more letters, not only stop words, no
    placeholder or punctuation, and in Chinese no particle at either end and no digit beside
    the characters ("0年")."""
    parts = term.split()
    if len(_WORDISH.findall(term)) < 2 or any(p in _NOT_EVIDENCE for p in parts):
        return False
    if _INNER_MARKS.search(term) or all(part in _STOP for part in parts):
        return False
    if has_unspaced(term):
        return term[0] not in _PARTICLES and term[-1] not in _PARTICLES and not any(
            c.isdigit() for c in term
        )
    return True


def _short(term: str) -> str:
    term = " ".join(term.split())
    return term if len(term) <= MAX_EVIDENCE_CHARS else term[: MAX_EVIDENCE_CHARS - 1] + "…"


class _Hit(NamedTuple):
    """A model that alone reaches its category's threshold for one row."""

    proba: float
    stack: _Stack
    column: int


class RiskClassifier:
    """Scores texts against configured categories; build with :meth:`load`."""

    def __init__(self, *, categories: Sequence[CategorySpec], models: Iterable[LearnedModel]):
        self.categories: tuple[CategorySpec, ...] = tuple(categories)
        self._by_name: dict[str, CategorySpec] = {c.name: c for c in self.categories}
        self._matcher = LexiconMatcher(self.categories)
        self.models: tuple[LearnedModel, ...] = tuple(
            m for m in models if m.category in self._by_name and self._by_name[m.category].use_model
        )
        by_spec: dict[FeatureSpec, list[LearnedModel]] = {}
        for m in self.models:
            by_spec.setdefault(m.spec, []).append(m)
        self._stacks = [_Stack(spec, group) for spec, group in by_spec.items()]
        self._combinations: dict[tuple[str, str], Combination] = {
            (m.category, m.lang): m.combination for m in self.models if m.combination
        }
        # Categories whose presence decides another's (cue_with): weighed even when dropped.
        self._cue_targets = frozenset(n for c in self.categories for n in c.cue_with)

    @classmethod
    def load(
        cls,
        *,
        models_dir: Path | None = None,
        categories: Sequence[CategorySpec] | None = None,
        only: Collection[str] | None = None,
    ) -> RiskClassifier:
        """Load lexicons (default: shipped) and every learned risk model in ``models_dir``
        (or only those for the languages in ``only``)."""
        specs = tuple(categories) if categories is not None else load_categories()
        folder = models_dir or default_models_dir()
        models = load_learned(folder, only) if folder.is_dir() else []
        if not models and only is None:
            log.warning("no learned risk models in %s; lexicons only", folder)
        return cls(categories=specs, models=models)

    def _model_hits(
        self, cache: FeatureCache
    ) -> tuple[dict[int, dict[str, _Hit]], dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]]:
        """(row -> category -> hit where a model alone reaches the threshold, (category, lang)
        -> (rows, logits) of every model, for texts whose lexicon terms join the model)."""
        hits: dict[int, dict[str, _Hit]] = {}
        logits: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        for stack in self._stacks:
            features = cache.features(stack.spec)
            if not len(features.rows):
                continue
            z = stack.logits(features)
            alone = sigmoid(z * stack.scale + stack.shift)
            thresholds = np.array([self._by_name[m.category].threshold for m in stack.models])
            for j, m in enumerate(stack.models):
                logits[(m.category, m.lang)] = (features.rows, z[:, j])
            for i, j in zip(*np.nonzero(alone >= thresholds), strict=True):
                category = stack.models[int(j)].category
                hits.setdefault(int(features.rows[i]), {})[category] = _Hit(
                    float(alone[i, j]), stack, int(j)
                )
        return hits, logits

    def score(
        self,
        texts: Sequence[str],
        langs: Sequence[str],
        *,
        cache: FeatureCache | None = None,
        cleaned: Sequence[str] | None = None,
        ruled_out: Sequence[Collection[str]] | None = None,
        entity_kinds: Sequence[str | None] | None = None,
    ) -> list[tuple[CategoryScore, ...]]:
        """Categories at or above their threshold per text, highest score first.

        ``entity_kinds[row]``: the kind of watched entity the text was matched to (it can
        supply a category's context, ``CategorySpec.context_entities``).

        ``ruled_out[row]`` names categories the caller does not report for that row (the
        scorer's intent gate): they are left out of the result exactly as if dropped from it
        afterwards, and are neither weighed nor explained unless another category's
        ``cue_with`` needs to know whether they were found."""
        cleaned = cleaned if cleaned is not None else [clean(t) for t in texts]
        cache = cache or FeatureCache(cleaned, langs)
        hits, logits = self._model_hits(cache)
        out: list[tuple[CategoryScore, ...]] = []
        for row, text in enumerate(cleaned):
            kind = entity_kinds[row] if entity_kinds is not None else None
            lexical = lexicon_scores(self._matcher.match(text, kind))
            if not lexical and row not in hits:
                out.append(())  # most texts: nothing to weigh, explain or sort
                continue
            dropped = ruled_out[row] if ruled_out is not None else ()
            model_hits = {
                name: hit
                for name, hit in hits.get(row, {}).items()
                if name in lexical or not self._by_name[name].cue_required
            }
            found: list[CategoryScore] = []
            for spec in self.categories:
                if spec.name not in lexical and spec.name not in model_hits:
                    continue
                if spec.name in dropped and spec.name not in self._cue_targets:
                    continue  # explaining a category nobody reports is most of its cost
                lex, terms = lexical.get(spec.name, (0.0, ()))
                evidence = list(terms)
                p = 0.0
                if spec.name in model_hits:
                    p, stack, column = model_hits[spec.name]
                    backed, features = self._explain(cache, stack, column, row, evidence)
                    evidence += features
                    if not backed:
                        p = 0.0  # the intercept alone is no evidence for a category
                model_hit, lex_hit = p >= spec.threshold, lex >= spec.threshold
                combination = self._combinations.get((spec.name, langs[row]))
                if combination is None:
                    score = max(p, lex)
                elif lex > 0:
                    rows, z = logits[(spec.name, langs[row])]
                    z_row = float(z[int(np.searchsorted(rows, row))])
                    score = 1.0 / (1.0 + math.exp(-max(-50.0, combination.logit(z_row, lex))))
                    alone = spec.threshold if spec.lexicon_alone else LEXICON_SURE
                    if lex >= alone and lex > score:
                        score, model_hit = lex, False  # several strong terms stand alone
                    else:
                        model_hit = lex_hit = True  # the fitted combination decided
                else:
                    score = p
                if score < spec.threshold:
                    continue
                source: Source = (
                    "both" if model_hit and lex_hit else "model" if model_hit else "lexicon"
                )
                found.append(
                    CategoryScore(
                        category=spec.name,
                        score=round(min(1.0, score), 4),
                        severity=spec.severity,
                        evidence=tuple(_short(e) for e in evidence[:MAX_EVIDENCE]),
                        source=source,
                    )
                )
            kept = self._in_context(found, cued=set(lexical))
            out.append(tuple(c for c in kept if c.category not in dropped) if dropped else kept)
        return out

    def _in_context(
        self, found: list[CategoryScore], *, cued: set[str]
    ) -> tuple[CategoryScore, ...]:
        """Drop a model-only category whose ``cue_with`` category is also found (confirmed
        accident news is crisis_relevance, not a rumour, unless it has a hearsay cue); sort."""
        names = {c.category for c in found}
        kept = [
            c
            for c in found
            if c.category in cued or not (set(self._by_name[c.category].cue_with) & names)
        ]
        kept.sort(key=lambda c: (-c.score, c.category))
        return tuple(kept)

    @staticmethod
    def _explain(
        cache: FeatureCache, stack: _Stack, column: int, row: int, have: Sequence[str]
    ) -> tuple[bool, list[str]]:
        """(any feature other than a collection artefact pushed towards the category,
        readable features not already shown)."""
        features = cache.features(stack.spec)
        pos = int(np.searchsorted(features.rows, row))
        weights = stack.weights[:, column]
        # English character n-grams are word fragments ("ck", "igg"): words first, and
        # fragments only when no word pushes towards the category.
        english = stack.spec.lang == "en"
        found = top_terms(weights, features, pos, blocks=("words",) if english else BLOCKS)
        if english and all(_artefact(term) for term, _ in found):
            found = top_terms(weights, features, pos)
        lowered = [to_simplified(h.lower()) for h in have]
        extra: list[str] = []
        for term, _ in found:  # only MODEL_EVIDENCE are shown: stop looking once they are found
            if _readable(term) and not any(term in h or h in term for h in lowered):
                extra.append(term)
                if len(extra) == MODEL_EVIDENCE:
                    break
        if not extra and not have and found:
            extra = [found[0][0]]  # a fragment beats reporting a category without evidence
        return any(not _artefact(term) for term, _ in found), extra

    def describe(self) -> Mapping[str, object]:
        """What is loaded: categories with severities and which have models in which language."""
        return {
            "categories": {c.name: c.severity for c in self.categories},
            "models": sorted(f"{m.category}/{m.lang}" for m in self.models),
        }
