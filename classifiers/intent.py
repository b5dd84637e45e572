"""Intent of a mention, as the source plans ask: interaction, enquiry, complaint or other.

The labels are ``INTENT_LABELS`` (``classifiers.intent_labels``). Per language, one softmax
model (``intent_{lang}.npz|json``, a ``LinearTextModel`` whose header meta says ``kind: intent``)
over the same hashed features as that language's sentiment model, so the scorer featurises a
text once for sentiment, risk and intent. A text in another language, junk, or a language
without a model gets ``UNKNOWN_INTENT`` ("other", uniform probabilities).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from classifiers.features import HashedBlock, ModelFormatError
from classifiers.intent_labels import INTENT_LABELS
from classifiers.linear import LinearTextModel, saved_model_lang

FALLBACK = "other"


@dataclass(frozen=True)
class Intent:
    """Intent of one text: the most probable label and every label's probability."""

    label: str
    probs: Mapping[str, float]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form: ``{"label": ..., "probs": {...}}``."""
        return {
            "label": self.label,
            "probs": {k: round(float(v), 4) for k, v in self.probs.items()},
        }


UNKNOWN_INTENT = Intent(
    FALLBACK, MappingProxyType({lab: 1.0 / len(INTENT_LABELS) for lab in INTENT_LABELS})
)


def intent_from_row(row: Sequence[float] | np.ndarray) -> Intent:
    """An Intent from probabilities in INTENT_LABELS order (non-finite rows are unknown)."""
    values = [v if math.isfinite(v) else 0.0 for v in map(float, row)]
    total = sum(values)
    if total <= 0:
        return UNKNOWN_INTENT
    probs = {lab: v / total for lab, v in zip(INTENT_LABELS, values, strict=True)}
    best = max(INTENT_LABELS, key=lambda lab: probs[lab])  # ties resolve in label order
    return Intent(best, MappingProxyType(probs))


class IntentModel:
    """Per-language intent models; every language without one is ``UNKNOWN_INTENT``."""

    def __init__(self, models: Mapping[str, LinearTextModel]) -> None:
        for lang, model in models.items():
            if sorted(model.classes) != sorted(INTENT_LABELS) or model.spec.lang != lang:
                raise ModelFormatError(f"intent model for {lang}: classes or language mismatch")
        self.models = dict(models)
        self._order = {
            lang: [m.classes.index(lab) for lab in INTENT_LABELS] for lang, m in models.items()
        }

    @classmethod
    def load(cls, models_dir: Path, only: Collection[str] | None = None) -> IntentModel:
        """Every ``intent_*.npz`` in ``models_dir`` (none: every text is unknown), or only
        those for the languages in ``only``."""
        models: dict[str, LinearTextModel] = {}
        for npz in sorted(Path(models_dir).glob("intent_*.npz")):
            if only is not None and saved_model_lang(npz) not in only:
                continue
            model = LinearTextModel.load(npz)
            if model.meta.get("kind") != "intent":
                raise ModelFormatError(f"{npz}: header meta kind is not 'intent'")
            models[model.spec.lang] = model
        return cls(models)

    def proba(self, lang: str, hashed: Sequence[HashedBlock]) -> np.ndarray:
        """Probabilities (rows in INTENT_LABELS order) for pre-hashed texts of ``lang``."""
        model = self.models[lang]
        z = model.logits_from_hashed(hashed)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        p: np.ndarray = (e / e.sum(axis=1, keepdims=True))[:, self._order[lang]]
        return p

    def predict(self, texts: Sequence[str], langs: Sequence[str]) -> list[Intent]:
        """Intent per text, featurising each language's texts once (slow path for tools)."""
        from classifiers.features import featurize_texts

        out: list[Intent] = [UNKNOWN_INTENT] * len(texts)
        for lang, model in self.models.items():
            idx = [i for i, g in enumerate(langs) if g == lang]
            if not idx:
                continue
            feats = featurize_texts([texts[i] for i in idx], model.spec)
            for i, row in zip(idx, self.proba(lang, feats.hashed), strict=True):
                out[i] = intent_from_row(row)
        return out
