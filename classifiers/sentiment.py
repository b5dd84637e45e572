"""Three-class sentiment (positive / neutral / negative) for Chinese and English text.

Per language: a hashed n-gram model (3 classes) and a polarity model (positive vs negative,
trained on far more data) share one featurising pass; a small combiner, fitted on held-out
social posts, turns their scores, the polarity "evidence mass" and an optional valence
lexicon into calibrated probabilities. Other languages get "unknown".
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from classifiers.languages import OTHER, supported
from classifiers.linear import (
    HashedBlock,
    LinearTextModel,
    ModelFormatError,
    Terms,
    featurize_texts,
)
from classifiers.text import clean, detect_lang

LABELS = ("positive", "neutral", "negative")
UNKNOWN = "unknown"
MANIFEST_NAME = "sentiment.json"
MANIFEST_FORMAT = "crisiswatch-sentiment"
DEFAULT_MODELS_DIR = Path(__file__).resolve().parent / "models"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
_LEX_NEGATION = -0.74  # VADER's scalar for a negated valence word
_LEX_ALPHA = 15.0
_MAX_LEXICON_BYTES = 2_000_000
UNIFORM = MappingProxyType({lab: 1.0 / 3.0 for lab in LABELS})
_EMOJI_ONLY_RE = re.compile(r"[\U0001f000-\U0001faff\u2600-\u27bf]")
# Emoji-only text has no language, but emoji carry sentiment; the English pipeline has
# emoji features and emoji valences, so it scores such text (lang stays "other").
_EMOJI_FALLBACK = "en"


@dataclass(frozen=True)
class SentimentResult:
    """Sentiment of one text: label, probabilities (sum 1) and the language used."""

    label: str
    probs: Mapping[str, float]
    lang: str


def read_lexicon(path: Path) -> dict[str, float]:
    """Read a ``word<TAB>valence`` file (``#`` comments); valences are clipped to [-4, 4]."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ModelFormatError(f"{path}: cannot read ({exc.strerror})") from exc
    if len(raw) > _MAX_LEXICON_BYTES:
        raise ModelFormatError(f"{path}: lexicon larger than {_MAX_LEXICON_BYTES} bytes")
    lexicon: dict[str, float] = {}
    for n, line in enumerate(raw.decode("utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        try:
            value = float(parts[1])
        except (IndexError, ValueError) as exc:
            raise ModelFormatError(f"{path}:{n}: expected word<TAB>valence") from exc
        if math.isfinite(value) and parts[0]:
            lexicon[parts[0]] = max(-4.0, min(4.0, value))
    return lexicon


def with_negations(lexicon: Mapping[str, float]) -> dict[str, float]:
    """The lexicon plus a ``NEG_word`` entry for each word (valence times VADER's negation
    scalar), so scoring a token is one dictionary lookup."""
    out = {w: v for w, v in lexicon.items() if " " not in w}
    out.update({"NEG_" + w: v * _LEX_NEGATION for w, v in out.items()})
    return out


def lexicon_features(words: Iterable[str], lexicon: Mapping[str, float]) -> tuple[float, ...]:
    """(compound, positive sum, negative sum, hits) over unigram tokens of a ``with_negations``
    lexicon (so NEG_ words carry the negated valence)."""
    values = [v for v in map(lexicon.get, words) if v is not None]
    pos = sum(filter(0.0.__lt__, values))  # the valences above 0, added in text order
    neg = -sum(filter(0.0.__gt__, values))
    s = pos - neg
    compound = s / math.sqrt(s * s + _LEX_ALPHA)
    return compound, math.log1p(pos), math.log1p(neg), float(min(len(values), 5))


LEX_FEATURES = ("lex_compound", "lex_pos", "lex_neg", "lex_hits")
POL_FEATURES = ("pol", "pol_abs", "pol_mass", "pol_ratio")


def combiner_inputs(
    *,
    main_logits: np.ndarray,
    main_classes: Sequence[str],
    pol: np.ndarray | None,
    pol_mass: np.ndarray | None,
    lex: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """Named per-text inputs of the combiner (shared by training and serving)."""
    out: dict[str, np.ndarray] = {}
    for i, c in enumerate(main_classes):
        out[f"m_{c}"] = main_logits[:, i]
    if pol is not None and pol_mass is not None:
        out["pol"] = pol
        out["pol_abs"] = np.abs(pol)
        out["pol_mass"] = pol_mass
        out["pol_ratio"] = np.abs(pol) / np.maximum(pol_mass, 1e-6)
    if lex is not None:
        for i, name in enumerate(LEX_FEATURES):
            out[name] = lex[:, i]
    return out


@dataclass(frozen=True)
class Combiner:
    """Standardised linear softmax over named inputs; fitted on held-out social posts."""

    features: tuple[str, ...]
    classes: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # n_classes x n_features
    intercept: np.ndarray

    def proba(self, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        """Class probabilities (rows) from named inputs."""
        x = np.column_stack([inputs[f] for f in self.features]).astype(np.float64)
        xs = (x - self.mean) / self.scale
        # Elementwise rather than BLAS: a row's result must not depend on the batch size.
        z = (xs[:, None, :] * self.coef[None, :, :]).sum(axis=2) + self.intercept
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        out: np.ndarray = e / e.sum(axis=1, keepdims=True)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return {
            "features": list(self.features),
            "classes": list(self.classes),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> Combiner:
        """Validate and build from the manifest."""
        try:
            feats = tuple(str(f) for f in data["features"])
            classes = tuple(str(c) for c in data["classes"])
            mean = np.asarray(data["mean"], np.float64)
            scale = np.asarray(data["scale"], np.float64)
            coef = np.asarray(data["coef"], np.float64)
            intercept = np.asarray(data["intercept"], np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{where}: combiner field missing or malformed ({exc})") from exc
        d, k = len(feats), len(classes)
        shapes_ok = mean.shape == (d,) and scale.shape == (d,) and coef.shape == (k, d)
        if not shapes_ok or intercept.shape != (k,) or sorted(classes) != sorted(LABELS):
            raise ModelFormatError(f"{where}: combiner shapes or classes are inconsistent")
        if not (np.all(np.isfinite(coef)) and np.all(scale > 0)):
            raise ModelFormatError(f"{where}: combiner has non-finite or non-positive values")
        return cls(feats, classes, mean, scale, coef, intercept)


class LanguageSentiment:
    """One language's pipeline: main model, optional polarity model, lexicon and combiner."""

    def __init__(
        self,
        *,
        main: LinearTextModel,
        polarity: LinearTextModel | None = None,
        lexicon: Mapping[str, float] | None = None,
        combiner: Combiner | None = None,
    ) -> None:
        if sorted(main.classes) != sorted(LABELS):
            raise ModelFormatError(f"main model classes {main.classes} are not {LABELS}")
        if polarity is not None and (
            polarity.spec != main.spec or tuple(polarity.classes) != ("negative", "positive")
        ):
            raise ModelFormatError("polarity model must share the main spec, classes neg/pos")
        if combiner is not None:
            needs_pol = any(f in POL_FEATURES for f in combiner.features)
            needs_lex = any(f in LEX_FEATURES for f in combiner.features)
            if (needs_pol and polarity is None) or (needs_lex and lexicon is None):
                raise ModelFormatError("combiner needs a polarity model or lexicon that is absent")
        self.main = main
        self.polarity = polarity
        self.lexicon = with_negations(lexicon) if lexicon is not None else None
        self.combiner = combiner
        # One gather serves all models: main classes, polarity difference, |difference|.
        cols = [main.coef_t]
        if polarity is not None:
            diff = polarity.coef_t[:, 1:2] - polarity.coef_t[:, 0:1]
            cols += [diff, np.abs(diff)]
        self._stacked = np.ascontiguousarray(np.hstack(cols), dtype=np.float32)

    def inputs_from_terms(self, terms: Sequence[Terms]) -> dict[str, np.ndarray]:
        """Combiner inputs for already extracted terms (slow path, shares a caller's terms)."""
        from classifiers.features import blocks_from_terms

        blocks = blocks_from_terms(terms, self.main.spec)
        hashed = tuple(
            HashedBlock(b.indptr, b.indices, b.data, self.main.spec.n_features) for b in blocks
        )
        return self._inputs(hashed, [t.words for t in terms])

    def _inputs(
        self, hashed: Sequence[HashedBlock], words: Sequence[Sequence[str]]
    ) -> dict[str, np.ndarray]:
        n = len(words)
        k = len(self.main.classes)
        rows = np.concatenate(
            [np.repeat(np.arange(n), np.diff(b.indptr)) for b in hashed] or [np.empty(0, int)]
        )
        idx = np.concatenate([b.indices for b in hashed] or [np.empty(0, np.int32)])
        data = np.concatenate([b.data for b in hashed] or [np.empty(0, np.float32)])
        gathered = self._stacked[idx].astype(np.float64)
        values = data.astype(np.float64)
        sums = np.empty((n, gathered.shape[1]))
        # bincount adds each row's entries in order, so results do not depend on the batch.
        for j in range(gathered.shape[1]):
            weights = gathered[:, j] * (np.abs(values) if j == k + 1 else values)
            sums[:, j] = np.bincount(rows, weights=weights, minlength=n)
        m = self.main
        main_logits = (sums[:, :k] + m.intercept) / m.temperature + m.class_bias
        pol = mass = lex = None
        if self.polarity is not None:
            p = self.polarity
            pol = (sums[:, k] + float(p.intercept[1] - p.intercept[0])) / p.temperature + float(
                p.class_bias[1] - p.class_bias[0]
            )
            mass = sums[:, k + 1]
        if self.lexicon is not None:
            lexicon = self.lexicon
            lex = np.array([lexicon_features(w, lexicon) for w in words], np.float64)
            lex = lex.reshape(n, len(LEX_FEATURES))
        return combiner_inputs(
            main_logits=main_logits,
            main_classes=self.main.classes,
            pol=pol,
            pol_mass=mass,
            lex=lex,
        )

    def proba_from_inputs(self, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        """Probabilities in LABELS order from combiner inputs."""
        if self.combiner is not None:
            p = self.combiner.proba(inputs)
            classes = self.combiner.classes
        else:
            z = np.column_stack([inputs[f"m_{c}"] for c in self.main.classes])
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            classes = self.main.classes
        order = [classes.index(lab) for lab in LABELS]
        out: np.ndarray = p[:, order]
        return out

    def proba(self, texts: Sequence[str], *, pre_cleaned: bool = False) -> np.ndarray:
        """Probabilities in LABELS order, one row per text (fast path); ``pre_cleaned``: the
        texts already went through ``clean``."""
        feats = featurize_texts(texts, self.main.spec, pre_cleaned=pre_cleaned)
        return self.proba_from_inputs(self._inputs(feats.hashed, feats.tokens))

    def explain(self, text: str, label: str, k: int = 5) -> list[tuple[str, float]]:
        """Terms of ``text`` pushing the main model hardest towards ``label``."""
        return self.main.explain(text, label, k)


class SentimentModel:
    """Batched sentiment for zh and en; every other language is "unknown"."""

    def __init__(self, languages: Mapping[str, LanguageSentiment], info: Mapping[str, Any]) -> None:
        self.languages = dict(languages)
        self.info = dict(info)

    @classmethod
    def load(
        cls, models_dir: Path | None = None, only: Collection[str] | None = None
    ) -> SentimentModel:
        """Load the manifest and model files (default: the shipped classifiers/models), or
        only those for the languages in ``only``."""
        folder = Path(models_dir) if models_dir is not None else DEFAULT_MODELS_DIR
        manifest_path = folder / MANIFEST_NAME
        try:
            manifest = json.loads(manifest_path.read_text("utf-8"))
        except OSError as exc:
            raise ModelFormatError(f"{manifest_path}: cannot read ({exc.strerror})") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelFormatError(f"{manifest_path}: not valid JSON ({exc})") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
            raise ModelFormatError(f"{manifest_path}: field 'format' is not {MANIFEST_FORMAT!r}")
        langs = manifest.get("languages")
        if not isinstance(langs, dict):
            raise ModelFormatError(f"{manifest_path}: field 'languages' missing")
        loaded = {
            str(lang): _load_language(folder, entry, f"{manifest_path}: languages.{lang}")
            for lang, entry in langs.items()
            if only is None or lang in only
        }
        info = manifest.get("info", {})
        return cls(loaded, info if isinstance(info, dict) else {})

    def predict(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> list[SentimentResult]:
        """Sentiment for each text; ``langs`` (optional) overrides language detection."""
        if langs is not None and len(langs) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(langs)} languages")
        results: list[SentimentResult | None] = [None] * len(texts)
        groups: dict[tuple[str, str], list[int]] = {}
        named: dict[str, str] = {}  # each given language name normalised once per call
        prepared: list[str] = []
        for i, raw in enumerate(texts):
            text = clean(raw if isinstance(raw, str) else "")
            prepared.append(text)
            given = langs[i] if langs is not None else None
            if not given:
                lang = detect_lang(text)
            elif isinstance(given, str):
                lang = named.get(given) or named.setdefault(given, _normalise_lang(given))
            else:
                lang = _normalise_lang(given)
            model_lang = sentiment_language(text, lang) if given is None else lang
            if not text or model_lang not in self.languages:
                results[i] = SentimentResult(UNKNOWN, UNIFORM, lang)
                continue
            groups.setdefault((model_lang, lang), []).append(i)
        for (model_lang, lang), idx in groups.items():
            pipeline = self.languages[model_lang]
            probs = pipeline.proba([prepared[i] for i in idx], pre_cleaned=True).tolist()
            for row, i in zip(probs, idx, strict=True):
                results[i] = result_from_row(row, lang)
        return [r if r is not None else SentimentResult(UNKNOWN, UNIFORM, OTHER) for r in results]

    def predict_one(self, text: str, lang: str | None = None) -> SentimentResult:
        """Sentiment of a single text."""
        return self.predict([text], [lang])[0]


def result_from_row(row: Sequence[float] | np.ndarray, lang: str) -> SentimentResult:
    """A SentimentResult from probabilities in LABELS order (non-finite rows are unknown)."""
    values = [v if math.isfinite(v) else 0.0 for v in map(float, row)]
    total = sum(values)
    if total <= 0:
        return SentimentResult(UNKNOWN, UNIFORM, lang)
    probs = {lab: v / total for lab, v in zip(LABELS, values, strict=True)}
    best = max(LABELS, key=lambda lab: probs[lab])  # ties resolve in LABELS order
    return SentimentResult(best, MappingProxyType(probs), lang)


def _normalise_lang(lang: str) -> str:
    return supported(str(lang).strip())


def sentiment_language(cleaned: str, lang: str) -> str:
    """The language whose model reads ``cleaned``, detected as ``lang``: emoji-only text has
    no language, and the English model reads it."""
    return _EMOJI_FALLBACK if lang == OTHER and _emoji_only(cleaned) else lang


def _emoji_only(text: str) -> bool:
    return bool(_EMOJI_ONLY_RE.search(text)) and not any(ch.isalpha() for ch in text)


def _load_language(folder: Path, entry: Any, where: str) -> LanguageSentiment:
    if not isinstance(entry, dict):
        raise ModelFormatError(f"{where}: expected an object")

    def file_name(key: str) -> str | None:
        name = entry.get(key)
        if name is None:
            return None
        if not isinstance(name, str) or not _SAFE_NAME.match(name):
            raise ModelFormatError(f"{where}.{key}: not a plain file name")
        return name

    main_name = file_name("main")
    if main_name is None:
        raise ModelFormatError(f"{where}.main: missing")
    main = LinearTextModel.load(folder / main_name)
    pol_name = file_name("polarity")
    polarity = LinearTextModel.load(folder / pol_name) if pol_name else None
    lex_name = file_name("lexicon")
    lexicon = read_lexicon(folder / lex_name) if lex_name else None
    comb = entry.get("combiner")
    combiner = Combiner.from_dict(comb, f"{where}.combiner") if comb else None
    return LanguageSentiment(main=main, polarity=polarity, lexicon=lexicon, combiner=combiner)
