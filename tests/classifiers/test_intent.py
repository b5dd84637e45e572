"""Intent: one label set, safe model files, scorer output, and the shipped models' behaviour."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifiers.features import FeatureSpec, ModelFormatError
from classifiers.intent import INTENT_LABELS, UNKNOWN_INTENT, IntentModel, intent_from_row
from classifiers.linear import LinearTextModel
from classifiers.scorer import ScoreInput, Scorer
from classifiers.sentiment import DEFAULT_MODELS_DIR


def test_labels_are_the_source_plans_four() -> None:
    assert INTENT_LABELS == ("interaction", "enquiry", "complaint", "other")
    assert UNKNOWN_INTENT.label == "other"
    assert sum(UNKNOWN_INTENT.probs.values()) == pytest.approx(1.0)


def test_intent_from_row_normalises_and_tolerates_garbage() -> None:
    got = intent_from_row(np.array([1.0, 3.0, 0.0, 0.0]))
    assert got.label == "enquiry" and got.probs["enquiry"] == pytest.approx(0.75)
    assert intent_from_row(np.array([np.nan, np.inf, -1.0, 0.0])) == UNKNOWN_INTENT


def test_model_needs_the_four_labels_and_the_kind(tmp_path: Path) -> None:
    spec = FeatureSpec(lang="en", n_features_log2=10, word_ngrams=1, char_ngrams=(0, 0))
    coef = np.zeros((3, spec.n_features))
    LinearTextModel(
        spec=spec,
        classes=["a", "b", "c"],
        coef=coef,
        intercept=np.zeros(3),
        meta={"kind": "intent"},
    ).save(tmp_path / "intent_en")
    with pytest.raises(ModelFormatError):
        IntentModel.load(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    LinearTextModel(
        spec=spec,
        classes=list(INTENT_LABELS),
        coef=np.zeros((4, spec.n_features)),
        intercept=np.zeros(4),
        meta={"kind": "risk"},
    ).save(other / "intent_en")
    with pytest.raises(ModelFormatError, match="kind"):
        IntentModel.load(other)


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer.load()


def test_shipped_models_cover_both_languages() -> None:
    assert set(IntentModel.load(DEFAULT_MODELS_DIR).models) == {"zh", "en"}


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("请问澜沐奶粉在哪里可以买到？", "enquiry"),
        ("澜沐的新品酸奶什么时候上市？", "enquiry"),
        ("这个奶粉新生儿能喝吗？", "enquiry"),
        ("Where can I buy Lumina Dairy formula in Sydney?", "enquiry"),
        ("Can anyone tell me when the store opens?", "enquiry"),
        (
            "Worst service ever, my order never arrived and nobody answers. I want a refund.",
            "complaint",
        ),
        ("质量太差了，用了两天就坏，客服也不理人，要求退款", "complaint"),
        ("Thank you so much for the quick help, you guys are awesome!", "interaction"),
        ("Lumina Dairy reports quarterly revenue of $2.1 billion", "other"),
    ],
)
def test_obvious_intents(scorer: Scorer, text: str, label: str) -> None:
    score = scorer.score([ScoreInput(text=text)])[0]
    assert score.intent.label == label, score.intent.probs
    assert set(score.intent.probs) == set(INTENT_LABELS)
    assert sum(score.intent.probs.values()) == pytest.approx(1.0)


def test_intent_in_to_dict_and_unknown_for_other_languages(scorer: Scorer) -> None:
    en, ar = scorer.score([ScoreInput(text="Where can I buy it?"), ScoreInput(text="هذا المنتج")])
    assert en.to_dict()["intent"]["label"] in INTENT_LABELS
    assert set(en.to_dict()["intent"]["probs"]) == set(INTENT_LABELS)
    assert ar.intent == UNKNOWN_INTENT
