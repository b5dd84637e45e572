"""Linear text models over hashed features, stored as .npz arrays plus a JSON header (no pickle).

Features come from :mod:`classifiers.features` (re-exported here), so training and serving
share one featuriser and cannot drift.
"""

from __future__ import annotations

import hashlib
import json
import math
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from classifiers.features import (
    FeatureSpec,
    Featurized,
    HashedBlock,
    ModelFormatError,
    Terms,
    blocks_from_terms,
    extract_terms,
    featurize,
    featurize_blocks,
    featurize_one,
    featurize_texts,
    term_columns,
)

__all__ = [
    "FeatureSpec",
    "Featurized",
    "HashedBlock",
    "LinearTextModel",
    "ModelFormatError",
    "Terms",
    "blocks_from_terms",
    "extract_terms",
    "featurize",
    "featurize_blocks",
    "featurize_one",
    "featurize_texts",
]

FORMAT_NAME = "crisiswatch-linear-text"
# Version 2: FNV character hashing and term-frequency blocks; version-1 files are refused.
FORMAT_VERSION = 2
_OUTPUTS = frozenset({"softmax", "sigmoid"})
_MAX_HEADER_BYTES = 1_000_000


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

    def scores(self, blocks: Sequence[sp.csr_matrix], n: int) -> np.ndarray:
        """Raw scores of pre-hashed blocks for ``n`` texts."""
        out = np.zeros((n, len(self.classes)), np.float32)
        for block in blocks:
            out += np.asarray(block @ self._coef_t)
        return out

    @property
    def coef_t(self) -> np.ndarray:
        """Read-only view of the coefficients, shape (n_features, n_classes)."""
        view = self._coef_t.view()
        view.flags.writeable = False
        return view

    def logits_from_blocks(self, blocks: Sequence[sp.csr_matrix]) -> np.ndarray:
        """Calibrated logits from pre-hashed blocks (lets several models share one featurising)."""
        n = blocks[0].shape[0] if blocks else 0
        out = np.zeros((n, len(self.classes)), np.float32)
        for block in blocks:
            out += np.asarray(block @ self._coef_t)
        z: np.ndarray = ((out + self.intercept) / self.temperature + self.class_bias).astype(
            np.float64
        )
        return z

    def logits_from_hashed(self, hashed: Sequence[HashedBlock]) -> np.ndarray:
        """Calibrated logits from the fast path's blocks (no scipy overhead for one text)."""
        n = hashed[0].n_rows if hashed else 0
        out = np.zeros((n, len(self.classes)))
        for block in hashed:
            out += block.dot(self._coef_t)
        z: np.ndarray = (out + self.intercept) / self.temperature + self.class_bias
        return z

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
        scored: dict[str, float] = {}
        blocks: tuple[tuple[str, list[str]], ...] = (
            ("words", terms.words),
            ("chars", terms.chars),
        )
        if self.spec.binary:
            blocks = tuple((name, list(dict.fromkeys(t))) for name, t in blocks)
        for block, block_terms in blocks:
            idx, val = term_columns(block_terms, self.spec, block)
            if not len(idx):
                continue
            w = self._coef_t[idx]
            # Relative to the mean of the other classes, so terms that lift every class
            # equally do not count as evidence.
            others = np.delete(w, c, axis=1).mean(axis=1) if self.output == "softmax" else 0.0
            contrib = val * (w[:, c] - others)
            for term, s in zip(block_terms, contrib.tolist(), strict=True):
                t = term.strip()
                if len(t) > 1 or (t and not t.isascii()):
                    scored[t] = scored.get(t, 0.0) + s
        out: list[tuple[str, float]] = []
        for term, s in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0])):
            if s <= 0:
                break
            if any(term in kept for kept, _ in out):
                continue  # a substring of a stronger term adds nothing readable
            out.append((term, round(float(s), 4)))
            if len(out) >= k:
                break
        return out

    def with_calibration(
        self, *, temperature: float, class_bias: Sequence[float]
    ) -> LinearTextModel:
        """Copy of this model with new temperature and per-class logit offsets."""
        return LinearTextModel(
            spec=self.spec,
            classes=self.classes,
            coef=self._coef_t.T,
            intercept=self.intercept,
            output=self.output,
            temperature=temperature,
            class_bias=class_bias,
            storage_dtype=self.storage_dtype,
            meta=self.meta,
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


def saved_model_lang(path: Path | str) -> str:
    """The language a saved model is for, read from its header (its arrays stay unread)."""
    json_path = LinearTextModel.paths(path)[1]
    spec = FeatureSpec.from_dict(_field(_read_header(json_path), "spec", dict, json_path))
    return spec.lang


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
