"""Risk categories for texts: learned models where labelled data exists, lexicons everywhere.

For each configured category a text gets ``max(model probability, lexicon score)``; the
category is reported when that reaches the category's threshold. ``source`` says which side
reached it ("both" when each did alone) and ``evidence`` lists the matched lexicon terms, then
the features that pushed the model hardest. Models are ``LinearTextModel`` files named
``risk_*.npz/.json`` whose header meta names their category and language.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from classifiers.linear import (
    FeatureSpec,
    LinearTextModel,
    ModelFormatError,
    Terms,
    explain_terms,
    extract_terms,
    matrix_from_terms,
    proba_from_matrix,
)
from classifiers.risk_lexicon import (
    CategoryScore,
    CategorySpec,
    LexiconMatcher,
    lexicon_scores,
    load_categories,
)
from classifiers.text import clean, to_simplified

__all__ = [
    "CategoryScore",
    "CategorySpec",
    "FeatureCache",
    "LearnedModel",
    "RiskClassifier",
    "default_models_dir",
]

log = logging.getLogger(__name__)
MAX_EVIDENCE = 5
MODEL_EVIDENCE = 3
MAX_EVIDENCE_CHARS = 40


def default_models_dir() -> Path:
    """The shipped model folder, classifiers/models."""
    return Path(__file__).resolve().parent / "models"


class FeatureCache:
    """Each text's terms and hashed matrix, extracted once per FeatureSpec for all models."""

    def __init__(self, texts: Sequence[str], langs: Sequence[str]) -> None:
        self.texts = texts
        self.langs = langs
        self._terms: dict[FeatureSpec, tuple[np.ndarray, list[Terms]]] = {}
        self._matrix: dict[FeatureSpec, sp.csr_matrix] = {}

    def terms(self, spec: FeatureSpec) -> tuple[np.ndarray, list[Terms]]:
        """(row numbers whose language is ``spec.lang``, their terms)."""
        if spec not in self._terms:
            rows = np.array([i for i, lang in enumerate(self.langs) if lang == spec.lang], int)
            self._terms[spec] = (rows, [extract_terms(self.texts[i], spec) for i in rows])
        return self._terms[spec]

    def matrix(self, spec: FeatureSpec) -> tuple[np.ndarray, sp.csr_matrix]:
        """(row numbers, hashed matrix of those rows)."""
        rows, terms = self.terms(spec)
        if spec not in self._matrix:
            self._matrix[spec] = matrix_from_terms(terms, spec)
        return rows, self._matrix[spec]


@dataclass(frozen=True)
class LearnedModel:
    """A shipped binary model for one category in one language."""

    category: str
    lang: str
    model: LinearTextModel
    name: str = ""


def load_learned(models_dir: Path) -> list[LearnedModel]:
    """Every ``risk_*`` model in a folder; ModelFormatError names a broken file."""
    out: list[LearnedModel] = []
    for npz in sorted(models_dir.glob("risk_*.npz")):
        model = LinearTextModel.load(npz)
        category, lang = model.meta.get("category"), model.meta.get("lang")
        if not isinstance(category, str) or lang != model.spec.lang:
            raise ModelFormatError(f"{npz}: meta must name the category and the spec's lang")
        if model.classes[1] != category:
            raise ModelFormatError(f"{npz}: second class must be the category {category!r}")
        out.append(LearnedModel(category=category, lang=lang, model=model, name=npz.stem))
    return out


_WORDISH = re.compile(r"[^\W_]")
_NOT_EVIDENCE = frozenset({"url", "@user", "user", "rt"})
_STOP = frozenset(
    "a an and are as at be but by for from i in is it me my of on or so that the this to was "
    "we you your 的 了 是 我 你 他 她 在 就 都 也 和 有 个 吗 吧 啊 呢 这 那 就是 真是 一个".split()
)


def _readable(term: str) -> bool:
    """Model features worth showing a person: two or more letters, not only stop words."""
    if term in _NOT_EVIDENCE or len(_WORDISH.findall(term)) < 2:
        return False
    return not all(part in _STOP for part in term.split())


def _short(term: str) -> str:
    term = " ".join(term.split())
    return term if len(term) <= MAX_EVIDENCE_CHARS else term[: MAX_EVIDENCE_CHARS - 1] + "…"


class RiskClassifier:
    """Scores texts against configured categories; build with :meth:`load`."""

    def __init__(self, *, categories: Sequence[CategorySpec], models: Iterable[LearnedModel]):
        self.categories: tuple[CategorySpec, ...] = tuple(categories)
        self._by_name: dict[str, CategorySpec] = {c.name: c for c in self.categories}
        self._matcher = LexiconMatcher(self.categories)
        self.models: tuple[LearnedModel, ...] = tuple(
            m for m in models if m.category in self._by_name and self._by_name[m.category].use_model
        )

    @classmethod
    def load(
        cls,
        *,
        models_dir: Path | None = None,
        categories: Sequence[CategorySpec] | None = None,
    ) -> RiskClassifier:
        """Load lexicons (default: shipped) and every learned risk model in ``models_dir``."""
        specs = tuple(categories) if categories is not None else load_categories()
        folder = models_dir or default_models_dir()
        models = load_learned(folder) if folder.is_dir() else []
        if not models:
            log.warning("no learned risk models in %s; lexicons only", folder)
        return cls(categories=specs, models=models)

    def _model_probs(
        self, cache: FeatureCache
    ) -> tuple[dict[tuple[int, str], float], dict[tuple[int, str], LearnedModel]]:
        probs: dict[tuple[int, str], float] = {}
        owner: dict[tuple[int, str], LearnedModel] = {}
        for learned in self.models:
            rows, x = cache.matrix(learned.model.spec)
            if not len(rows):
                continue
            p = proba_from_matrix(learned.model, x)[:, 1]
            for row, value in zip(rows.tolist(), p.tolist(), strict=True):
                probs[(row, learned.category)] = value
                owner[(row, learned.category)] = learned
        return probs, owner

    def score(
        self,
        texts: Sequence[str],
        langs: Sequence[str],
        *,
        cache: FeatureCache | None = None,
        cleaned: Sequence[str] | None = None,
    ) -> list[tuple[CategoryScore, ...]]:
        """Categories at or above their threshold per text, highest score first."""
        cache = cache or FeatureCache(texts, langs)
        cleaned = cleaned if cleaned is not None else [clean(t) for t in texts]
        probs, owner = self._model_probs(cache)
        out: list[tuple[CategoryScore, ...]] = []
        for row, text in enumerate(cleaned):
            lexical = lexicon_scores(self._matcher.match(text))
            found: list[CategoryScore] = []
            for spec in self.categories:
                p = probs.get((row, spec.name))
                lex, terms = lexical.get(spec.name, (0.0, ()))
                score = max(p or 0.0, lex)
                if score < spec.threshold:
                    continue
                model_hit = p is not None and p >= spec.threshold
                lex_hit = lex >= spec.threshold
                source = "both" if model_hit and lex_hit else "model" if model_hit else "lexicon"
                evidence = list(terms)
                if model_hit:
                    evidence += self._explain(cache, owner[(row, spec.name)], row, evidence)
                found.append(
                    CategoryScore(
                        category=spec.name,
                        score=round(min(1.0, score), 4),
                        severity=spec.severity,
                        evidence=tuple(_short(e) for e in evidence[:MAX_EVIDENCE]),
                        source=source,
                    )
                )
            found.sort(key=lambda c: (-c.score, c.category))
            out.append(tuple(found))
        return out

    @staticmethod
    def _explain(
        cache: FeatureCache, learned: LearnedModel, row: int, have: Sequence[str]
    ) -> list[str]:
        rows, terms = cache.terms(learned.model.spec)
        pos = int(np.searchsorted(rows, row))
        found = explain_terms(learned.model, terms[pos], learned.category, k=MODEL_EVIDENCE + 2)
        lowered = [to_simplified(h.lower()) for h in have]
        extra = [
            t
            for t, _ in found
            if _readable(t) and not any(t in h or h in t for h in lowered)
        ]
        return extra[:MODEL_EVIDENCE]

    def describe(self) -> Mapping[str, object]:
        """What is loaded: categories with severities and which have models in which language."""
        return {
            "categories": {c.name: c.severity for c in self.categories},
            "models": sorted(f"{m.category}/{m.lang}" for m in self.models),
        }
