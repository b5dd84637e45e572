"""Linear text models over hashed features, stored as .npz arrays plus a JSON header (no pickle).

Features are hashed with CRC-32 (deterministic across processes, unlike ``hash``) into one
space of ``2**n_features_log2`` columns: word n-grams from :func:`classifiers.text.tokenize`
and character n-grams, each block L2-normalised and weighted. The same code builds the
training matrix and scores single texts, so training and serving cannot drift; it is a
plain-Python featuriser because sklearn's HashingVectorizer costs ~0.3 ms per single call.
"""

from __future__ import annotations

import hashlib
import json
import math
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from classifiers.text import clean, to_simplified, tokenize

FORMAT_NAME = "crisiswatch-linear-text"
FORMAT_VERSION = 1
_WORD_SEED = 0x5EED
_CHAR_SEED = 0xC4A2
_SPECIAL = frozenset({"URL", "@USER"})
_LANGS = frozenset({"zh", "en", "other"})
_CHAR_MODES = frozenset({"chars", "wb"})
_OUTPUTS = frozenset({"softmax", "sigmoid"})
_MAX_HEADER_BYTES = 1_000_000


class ModelFormatError(ValueError):
    """A model file is missing, corrupt, unsafe (object arrays) or inconsistent with its header."""


@dataclass(frozen=True)
class FeatureSpec:
    """How text becomes hashed features; stored in the model header."""

    lang: str = "en"
    n_features_log2: int = 20
    word_ngrams: int = 2
    char_ngrams: tuple[int, int] = (2, 4)
    char_mode: str = "wb"
    word_weight: float = 1.0
    char_weight: float = 1.0
    max_chars: int = 1000

    def __post_init__(self) -> None:
        if self.lang not in _LANGS:
            raise ModelFormatError(f"feature spec: lang {self.lang!r} not in {sorted(_LANGS)}")
        if not 10 <= self.n_features_log2 <= 24:
            raise ModelFormatError("feature spec: n_features_log2 must be within 10..24")
        if not 0 <= self.word_ngrams <= 3:
            raise ModelFormatError("feature spec: word_ngrams must be within 0..3")
        lo, hi = self.char_ngrams
        if not ((lo, hi) == (0, 0) or 1 <= lo <= hi <= 6):
            raise ModelFormatError("feature spec: char_ngrams must be (0, 0) or 1 <= lo <= hi <= 6")
        if self.char_mode not in _CHAR_MODES:
            raise ModelFormatError(f"feature spec: char_mode {self.char_mode!r} not in chars/wb")
        if not 1 <= self.max_chars <= 20_000:
            raise ModelFormatError("feature spec: max_chars must be within 1..20000")
        if self.word_weight < 0 or self.char_weight < 0:
            raise ModelFormatError("feature spec: block weights must be >= 0")

    @property
    def n_features(self) -> int:
        return 1 << self.n_features_log2

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["char_ngrams"] = list(self.char_ngrams)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureSpec:
        try:
            return cls(
                lang=str(data["lang"]),
                n_features_log2=int(data["n_features_log2"]),
                word_ngrams=int(data["word_ngrams"]),
                char_ngrams=(int(data["char_ngrams"][0]), int(data["char_ngrams"][1])),
                char_mode=str(data["char_mode"]),
                word_weight=float(data["word_weight"]),
                char_weight=float(data["char_weight"]),
                max_chars=int(data["max_chars"]),
            )
        except (KeyError, TypeError, IndexError, ValueError) as exc:
            raise ModelFormatError(f"feature spec: bad or missing field ({exc})") from exc


@dataclass(frozen=True)
class Terms:
    """Feature terms of one text, before hashing (kept for explanations)."""

    words: list[str] = field(default_factory=list)
    chars: list[str] = field(default_factory=list)


def extract_terms(text: str, spec: FeatureSpec) -> Terms:
    """Return the unique word and character n-gram terms of one text."""
    text = clean(text)[: spec.max_chars]
    if not text:
        return Terms()
    words: list[str] = []
    if spec.word_ngrams and spec.word_weight > 0:
        toks = tokenize(text, spec.lang)
        words = list(toks)
        for n in range(2, spec.word_ngrams + 1):
            words.extend(" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1))
    chars: list[str] = []
    lo, hi = spec.char_ngrams
    if lo and spec.char_weight > 0:
        low = text.lower()
        if spec.lang == "zh":
            low = to_simplified(low)
        parts = [p for p in text_parts(low) if p.upper() not in _SPECIAL]
        if spec.char_mode == "wb":
            parts = [f" {p} " for p in parts]
        for p in parts:
            for n in range(lo, min(hi, len(p)) + 1):
                chars.extend(p[i : i + n] for i in range(len(p) - n + 1))
    return Terms(words=list(dict.fromkeys(words)), chars=list(dict.fromkeys(chars)))


def text_parts(text: str) -> list[str]:
    """Split on whitespace (character n-grams never cross it)."""
    return text.split()


def _hash_block(
    terms: list[str], seed: int, weight: float, mask: int
) -> tuple[np.ndarray, np.ndarray]:
    if not terms or weight <= 0:
        return np.empty(0, np.int32), np.empty(0, np.float32)
    h = np.fromiter(
        map(zlib.crc32, map(str.encode, terms), repeat(seed)), dtype=np.uint32, count=len(terms)
    )
    idx = (h & np.uint32(mask)).astype(np.int32)
    # The top bit picks the sign so colliding features tend to cancel rather than add up.
    val = np.where(h >> np.uint32(31), np.float32(1.0), np.float32(-1.0))
    val *= np.float32(weight / math.sqrt(len(terms)))
    return idx, val


def featurize_one(text: str, spec: FeatureSpec) -> tuple[np.ndarray, np.ndarray]:
    """Return (column indices, values) of one text's hashed feature vector."""
    terms = extract_terms(text, spec)
    mask = spec.n_features - 1
    wi, wv = _hash_block(terms.words, _WORD_SEED, spec.word_weight, mask)
    ci, cv = _hash_block(terms.chars, _CHAR_SEED, spec.char_weight, mask)
    return np.concatenate((wi, ci)), np.concatenate((wv, cv))


def _block_matrix(
    blocks: list[list[str]], seed: int, weight: float, n_features: int
) -> sp.csr_matrix:
    # One hashing pass over the whole batch: per-text numpy calls dominate otherwise.
    lengths = np.fromiter(map(len, blocks), dtype=np.int64, count=len(blocks))
    indptr = np.zeros(len(blocks) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    flat = [t for b in blocks for t in b]
    h = np.fromiter(
        map(zlib.crc32, map(str.encode, flat), repeat(seed)), dtype=np.uint32, count=len(flat)
    )
    idx = (h & np.uint32(n_features - 1)).astype(np.int32)
    scale = np.float32(weight) / np.sqrt(np.maximum(lengths, 1)).astype(np.float32)
    val = np.where(h >> np.uint32(31), np.float32(1.0), np.float32(-1.0)).astype(np.float32)
    val *= np.repeat(scale, lengths)
    return sp.csr_matrix((val, idx, indptr), shape=(len(blocks), n_features))


def featurize_blocks(texts: Sequence[str], spec: FeatureSpec) -> tuple[sp.csr_matrix, ...]:
    """Return the word-block and char-block hashed matrices (add them for the full matrix)."""
    terms = [extract_terms(t, spec) for t in texts]
    out = []
    if spec.word_ngrams and spec.word_weight > 0:
        out.append(
            _block_matrix([t.words for t in terms], _WORD_SEED, spec.word_weight, spec.n_features)
        )
    if spec.char_ngrams[0] and spec.char_weight > 0:
        out.append(
            _block_matrix([t.chars for t in terms], _CHAR_SEED, spec.char_weight, spec.n_features)
        )
    return tuple(out)


def featurize(texts: Sequence[str], spec: FeatureSpec) -> sp.csr_matrix:
    """Return the hashed feature matrix (n_texts x 2**n_features_log2, float32 CSR)."""
    blocks = featurize_blocks(texts, spec)
    if not blocks:
        return sp.csr_matrix((len(texts), spec.n_features), dtype=np.float32)
    x = blocks[0]
    for b in blocks[1:]:
        x = x + b
    return sp.csr_matrix(x, dtype=np.float32)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return out


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))
    return out


class LinearTextModel:
    """Hashed-feature linear model with optional calibration; safe to save and load."""

    def __init__(
        self,
        *,
        spec: FeatureSpec,
        classes: Sequence[str],
        coef: np.ndarray,
        intercept: np.ndarray,
        output: str = "softmax",
        temperature: float = 1.0,
        class_bias: Sequence[float] | None = None,
        storage_dtype: str = "float16",
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        n_classes = len(classes)
        coef = np.asarray(coef, dtype=np.float32)
        if coef.shape == (1, spec.n_features) and n_classes == 2 and output == "softmax":
            coef = np.vstack([np.zeros_like(coef), coef])  # sklearn's binary form
            intercept = np.array([0.0, float(np.ravel(intercept)[0])])
        if coef.shape != (n_classes, spec.n_features):
            raise ModelFormatError(
                f"coef shape {coef.shape} != (n_classes={n_classes}, n_features={spec.n_features})"
            )
        if output not in _OUTPUTS:
            raise ModelFormatError(f"output {output!r} not in {sorted(_OUTPUTS)}")
        if storage_dtype not in ("float16", "float32"):
            raise ModelFormatError("storage_dtype must be float16 or float32")
        if len(set(classes)) != n_classes or n_classes < 2:
            raise ModelFormatError("classes must be >= 2 distinct names")
        if not (temperature > 0 and math.isfinite(temperature)):
            raise ModelFormatError("temperature must be a positive finite number")
        self.spec = spec
        self.classes: tuple[str, ...] = tuple(str(c) for c in classes)
        self.output = output
        self.storage_dtype = storage_dtype
        self.temperature = float(temperature)
        bias = np.zeros(n_classes) if class_bias is None else np.asarray(class_bias, np.float64)
        if bias.shape != (n_classes,):
            raise ModelFormatError("class_bias must have one value per class")
        self.class_bias = bias.astype(np.float32)
        # Quantised once here so a saved-and-loaded model scores exactly like this one.
        self._coef_t = np.ascontiguousarray(coef.T.astype(storage_dtype).astype(np.float32))
        self.intercept = np.asarray(intercept, np.float32).reshape(n_classes)
        self.meta: dict[str, Any] = dict(meta or {})

    # --- scoring --------------------------------------------------------------------------

    def _finish(self, z: np.ndarray) -> np.ndarray:
        z = (z + self.intercept) / self.temperature + self.class_bias
        z = z.astype(np.float64)
        return _softmax(z) if self.output == "softmax" else _sigmoid(z)

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Raw scores (n_texts x n_classes) before intercept and calibration."""
        if not texts:
            return np.zeros((0, len(self.classes)), np.float32)
        out = np.zeros((len(texts), len(self.classes)), np.float32)
        for block in featurize_blocks(texts, self.spec):
            out += np.asarray(block @ self._coef_t)
        return out

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated class probabilities, one row per text, columns in ``classes`` order."""
        return self._finish(self.decision_function(texts))

    def predict_proba_one(self, text: str) -> np.ndarray:
        """Probabilities for a single text without building a sparse matrix."""
        idx, val = featurize_one(text, self.spec)
        z = val @ self._coef_t[idx] if len(idx) else np.zeros(len(self.classes), np.float32)
        return self._finish(z)

    def explain(self, text: str, class_name: str, k: int = 5) -> list[tuple[str, float]]:
        """Terms of ``text`` that push hardest towards ``class_name`` (term, contribution)."""
        c = self.classes.index(class_name)
        terms = extract_terms(text, self.spec)
        mask = self.spec.n_features - 1
        scored: dict[str, float] = {}
        blocks = ((terms.words, _WORD_SEED, self.spec.word_weight),
                  (terms.chars, _CHAR_SEED, self.spec.char_weight))
        for block_terms, seed, weight in blocks:
            idx, val = _hash_block(block_terms, seed, weight, mask)
            if not len(idx):
                continue
            w = self._coef_t[idx]
            # Contribution relative to the mean of the other classes, so "neutral" terms
            # that lift every class equally do not count as evidence.
            others = np.delete(w, c, axis=1).mean(axis=1) if self.output == "softmax" else 0.0
            contrib = val * (w[:, c] - others)
            for term, s in zip(block_terms, contrib.tolist(), strict=True):
                t = term.strip()
                if t and s > 0 and s > scored.get(t, 0.0):
                    scored[t] = s
        # Drop n-grams that are substrings of a stronger kept term (keeps evidence readable).
        out: list[tuple[str, float]] = []
        for term, s in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0])):
            if any(term in kept for kept, _ in out):
                continue
            out.append((term, round(float(s), 4)))
            if len(out) >= k:
                break
        return out

    def with_calibration(self, *, temperature: float, class_bias: Sequence[float]) -> LinearTextModel:
        """Copy of this model with new temperature and per-class logit offsets."""
        return LinearTextModel(
            spec=self.spec, classes=self.classes, coef=self._coef_t.T, intercept=self.intercept,
            output=self.output, temperature=temperature, class_bias=class_bias,
            storage_dtype=self.storage_dtype, meta=self.meta,
        )

    # --- persistence ----------------------------------------------------------------------

    @staticmethod
    def paths(path: Path | str) -> tuple[Path, Path]:
        """(.npz, .json) file paths for a model stem such as ``models/sentiment_zh``."""
        p = Path(path)
        stem = p.with_suffix("") if p.suffix in (".npz", ".json") else p
        return stem.with_name(stem.name + ".npz"), stem.with_name(stem.name + ".json")

    def save(self, path: Path | str) -> tuple[Path, Path]:
        """Write ``<stem>.npz`` (arrays) and ``<stem>.json`` (header); return both paths."""
        npz_path, json_path = self.paths(path)
        coef_t = self._coef_t
        rows = np.flatnonzero(np.any(coef_t != 0, axis=1)).astype(np.int32)
        np.savez_compressed(
            npz_path,
            rows=rows,
            values=coef_t[rows].astype(self.storage_dtype),
            intercept=self.intercept.astype(np.float32),
            class_bias=self.class_bias.astype(np.float32),
        )
        header = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "spec": self.spec.to_dict(),
            "classes": list(self.classes),
            "output": self.output,
            "temperature": self.temperature,
            "storage_dtype": self.storage_dtype,
            "n_nonzero_rows": int(len(rows)),
            "npz_sha256": hashlib.sha256(npz_path.read_bytes()).hexdigest(),
            "meta": self.meta,
        }
        json_path.write_text(json.dumps(header, ensure_ascii=False, indent=2) + "\n", "utf-8")
        return npz_path, json_path

    @classmethod
    def load(cls, path: Path | str) -> LinearTextModel:
        """Load a model saved by :meth:`save`; refuses pickles, object arrays and mismatches."""
        npz_path, json_path = cls.paths(path)
        header = _read_header(json_path)
        try:
            blob = npz_path.read_bytes()
        except OSError as exc:
            raise ModelFormatError(f"{npz_path}: cannot read ({exc.strerror})") from exc
        if hashlib.sha256(blob).hexdigest() != header.get("npz_sha256"):
            raise ModelFormatError(f"{npz_path}: checksum does not match {json_path.name}")
        arrays = _read_arrays(npz_path)
        spec = FeatureSpec.from_dict(_field(header, "spec", dict, json_path))
        classes = _field(header, "classes", list, json_path)
        rows, values = arrays["rows"], arrays["values"]
        n_classes = len(classes)
        if rows.ndim != 1 or values.shape != (len(rows), n_classes):
            raise ModelFormatError(f"{npz_path}: rows/values shapes do not match the classes")
        if len(rows) and (int(rows.min()) < 0 or int(rows.max()) >= spec.n_features):
            raise ModelFormatError(f"{npz_path}: row index outside the feature space")
        coef_t = np.zeros((spec.n_features, n_classes), np.float32)
        coef_t[rows] = values.astype(np.float32)
        return cls(
            spec=spec,
            classes=[str(c) for c in classes],
            coef=coef_t.T,
            intercept=arrays["intercept"],
            output=str(_field(header, "output", str, json_path)),
            temperature=float(_field(header, "temperature", (int, float), json_path)),
            class_bias=arrays["class_bias"].tolist(),
            storage_dtype=str(_field(header, "storage_dtype", str, json_path)),
            meta=_field(header, "meta", dict, json_path),
        )


def _field(header: Mapping[str, Any], name: str, kind: Any, where: Path) -> Any:
    if name not in header or not isinstance(header[name], kind):
        raise ModelFormatError(f"{where}: field {name!r} missing or of the wrong type")
    return header[name]


def _read_header(json_path: Path) -> dict[str, Any]:
    try:
        raw = json_path.read_bytes()
    except OSError as exc:
        raise ModelFormatError(f"{json_path}: cannot read ({exc.strerror})") from exc
    if len(raw) > _MAX_HEADER_BYTES:
        raise ModelFormatError(f"{json_path}: header larger than {_MAX_HEADER_BYTES} bytes")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"{json_path}: not valid JSON ({exc})") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise ModelFormatError(f"{json_path}: field 'format' is not {FORMAT_NAME!r}")
    if header.get("version") != FORMAT_VERSION:
        raise ModelFormatError(f"{json_path}: unsupported version {header.get('version')!r}")
    return header


_EXPECTED = {"rows": "i", "values": "f", "intercept": "f", "class_bias": "f"}


def _read_arrays(npz_path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(npz_path, allow_pickle=False) as npz:
            missing = set(_EXPECTED) - set(npz.files)
            if missing:
                raise ModelFormatError(f"{npz_path}: missing arrays {sorted(missing)}")
            out = {name: npz[name] for name in _EXPECTED}
    except ModelFormatError:
        raise
    except (ValueError, OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        # np.load raises ValueError for object arrays when allow_pickle is False.
        raise ModelFormatError(f"{npz_path}: unreadable or unsafe array file ({exc})") from exc
    for name, kind in _EXPECTED.items():
        if out[name].dtype.kind != kind:
            raise ModelFormatError(f"{npz_path}: array {name!r} has dtype {out[name].dtype}")
    return out


# --- shared extraction ----------------------------------------------------------------------
# Added for the risk models: the scorer extracts each text's terms once per FeatureSpec and
# every model with that spec (sentiment and all risk models) scores the same matrix.


def matrix_from_terms(terms: Sequence[Terms], spec: FeatureSpec) -> sp.csr_matrix:
    """The hashed matrix of terms already extracted with ``spec`` (equals ``featurize``)."""
    x = sp.csr_matrix((len(terms), spec.n_features), dtype=np.float32)
    if spec.word_ngrams and spec.word_weight > 0:
        x = x + _block_matrix([t.words for t in terms], _WORD_SEED, spec.word_weight, spec.n_features)
    if spec.char_ngrams[0] and spec.char_weight > 0:
        x = x + _block_matrix([t.chars for t in terms], _CHAR_SEED, spec.char_weight, spec.n_features)
    return sp.csr_matrix(x, dtype=np.float32)


def proba_from_matrix(model: LinearTextModel, x: sp.csr_matrix) -> np.ndarray:
    """``model.predict_proba`` for a matrix built with ``model.spec`` (n_texts x n_classes)."""
    if x.shape[0] == 0:
        return np.zeros((0, len(model.classes)), np.float64)
    return model._finish(np.asarray(x @ model._coef_t, dtype=np.float32))


def explain_terms(
    model: LinearTextModel, terms: Terms, class_name: str, k: int = 5
) -> list[tuple[str, float]]:
    """``model.explain`` for terms already extracted with ``model.spec``."""
    c = model.classes.index(class_name)
    spec = model.spec
    mask = spec.n_features - 1
    scored: dict[str, float] = {}
    for block_terms, seed, weight in (
        (terms.words, _WORD_SEED, spec.word_weight),
        (terms.chars, _CHAR_SEED, spec.char_weight),
    ):
        idx, val = _hash_block(block_terms, seed, weight, mask)
        if not len(idx):
            continue
        w = model._coef_t[idx]
        others = np.delete(w, c, axis=1).mean(axis=1) if model.output == "softmax" else 0.0
        contrib = val * (w[:, c] - others)
        for term, s in zip(block_terms, contrib.tolist(), strict=True):
            t = term.strip()
            if t and s > 0 and s > scored.get(t, 0.0):
                scored[t] = s
    out: list[tuple[str, float]] = []
    for term, s in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0])):
        if any(term in kept for kept, _ in out):
            continue
        out.append((term, round(float(s), 4)))
        if len(out) >= k:
            break
    return out
