"""Loading only the models a batch's languages need: fewer models, the same scores."""

from __future__ import annotations

import pytest

from classifiers.scorer import ScoreInput, Scorer, model_languages

TEXTS = {
    "en": ["The milk made my child sick, recall it now", "Great service, thanks!"],
    "zh": ["喝了这批奶粉孩子腹泻，要求召回", "這家公司的產品讓我皮膚過敏，我要投訴！"],
    "mixed": ["这个app又崩了 totally broken, 客服 never replies，我要投诉 refund now"],
    "emoji": ["😡😡😡🔥"],
    "other": ["هذا المنتج سيء جدا", "", "http://example.com/a?b=c"],
}


@pytest.fixture(scope="module")
def every_model() -> Scorer:
    return Scorer.load()


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_the_texts_languages_score_as_every_model_does(every_model: Scorer, name: str) -> None:
    texts = TEXTS[name]
    items = [ScoreInput(text=t, author_reach=5000) for t in texts]
    some = Scorer.load(only=model_languages(texts))
    assert [s.to_dict() for s in some.score(items)] == [
        s.to_dict() for s in every_model.score(items)
    ]


def test_one_language_loads_only_its_models() -> None:
    assert model_languages(TEXTS["zh"]) == {"zh"}
    # emoji-only text has no language, and the English sentiment model reads it
    assert model_languages(TEXTS["emoji"]) == {"other", "en"}
    zh = Scorer.load(only={"zh"})
    assert set(zh.sentiment.languages) == {"zh"}
    assert set(zh.intent.models) == {"zh"}
    assert zh.risk.models and {m.spec.lang for m in zh.risk.models} == {"zh"}
