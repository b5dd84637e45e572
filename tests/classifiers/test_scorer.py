"""The scoring façade: determinism, hostile input, batching, fallbacks, JSON output."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from classifiers.intent import INTENT_LABELS
from classifiers.junk import junk_reason
from classifiers.linear import LinearTextModel
from classifiers.matrix import GRADES, MatrixConfig
from classifiers.risk import RiskClassifier, default_models_dir, load_learned
from classifiers.risk_lexicon import CategoryScore
from classifiers.scorer import MICRO_BATCH, Score, ScoreInput, Scorer
from classifiers.sentiment import LABELS, MANIFEST_FORMAT, MANIFEST_NAME, SentimentModel
from classifiers.text import clean

HOSTILE = {
    "empty": "",
    "spaces": " \n\t ",
    "emoji_only": "😡😡😡🔥",
    "big": ("产品质量很差，客服不理人。" * 2000 + "Terrible product, never again. " * 2000)[
        :100_000
    ],
    "mixed": "这个app又崩了 totally broken, 客服 never replies，我要投诉 refund now",
    "traditional": "這家公司的產品讓我皮膚過敏，客服態度惡劣，我要投訴！",
    "html": '<div class="x"><script>alert(1)</script><p>Recall <b>now</b> &amp; refund</p></div>',
    "control": "bad\x00product\x07\x1b[31m recall\u202e\ufeff\u200b\ud800 now",
    "arabic": "هذا المنتج سيء جدا",
    "one_token": "a" * 50_000,
    "brackets": "[怒][怒][怒] 垃圾！！！",
    "url_only": "http://example.com/a?b=c",
}
EDGE_TEXTS = list(HOSTILE.values())


def synthetic_sentiment(folder: Path) -> None:
    """A small three-class sentiment model with the risk models' feature specs."""
    rng = np.random.default_rng(7)
    specs = {m.lang: m.spec for m in load_learned(default_models_dir())}
    langs = {}
    for lang, spec in specs.items():
        coef = np.zeros((3, spec.n_features))
        rows = rng.choice(spec.n_features, size=4000, replace=False)
        coef[:, rows] = rng.normal(0, 2.0, size=(3, len(rows)))
        LinearTextModel(
            spec=spec, classes=LABELS, coef=coef, intercept=np.array([0.0, 0.3, 0.0])
        ).save(folder / f"sentiment_{lang}")
        langs[lang] = {"main": f"sentiment_{lang}"}
    manifest = {"format": MANIFEST_FORMAT, "version": 1, "languages": langs, "info": {}}
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest), "utf-8")
    for src in default_models_dir().glob("risk_*"):
        shutil.copy(src, folder / src.name)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    synthetic_sentiment(folder)
    return folder


@pytest.fixture(scope="module")
def scorer(models_dir: Path) -> Scorer:
    return Scorer.load(models_dir=models_dir, user_words=["蔚来汽车", "CrisisCo"])


def check_valid(score: Score) -> None:
    assert score.lang in ("zh", "en", "other")
    assert score.sentiment.label in (*LABELS, "unknown")
    assert 1 <= score.likelihood <= 5 and 1 <= score.impact <= 5
    assert score.grade in GRADES
    assert len(score.reasons) in (2, 3)
    assert score.reasons[0].startswith(f"likelihood {score.likelihood}: ")
    assert score.reasons[1].startswith(f"impact {score.impact}: ")
    # A third reason only when a grade floor raised the grade above the table's cell.
    assert len(score.reasons) == 2 or score.reasons[2].startswith(f"at least {score.grade}: ")
    assert score.intent.label in INTENT_LABELS
    assert all(isinstance(c, CategoryScore) and c.evidence for c in score.categories)
    assert score.top_category == (score.categories[0].category if score.categories else None)
    json.dumps(score.to_dict(), ensure_ascii=False)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text_gives_a_valid_score(scorer: Scorer, name: str) -> None:
    check_valid(scorer.score_one(ScoreInput(text=HOSTILE[name])))


def test_hostile_batch_equals_one_at_a_time(scorer: Scorer) -> None:
    batch = scorer.score([ScoreInput(text=t) for t in EDGE_TEXTS])
    single = [scorer.score_one(ScoreInput(text=t)) for t in EDGE_TEXTS]
    assert batch == single


def test_same_text_same_result(scorer: Scorer) -> None:
    items = [ScoreInput(text=HOSTILE["traditional"], source_tier=1)] * 3
    first, second, third = scorer.score(items)
    assert first == second == third == scorer.score(items[:1])[0]


def test_expected_languages(scorer: Scorer) -> None:
    langs = {name: scorer.score_one(ScoreInput(text=HOSTILE[name])).lang for name in HOSTILE}
    assert langs["traditional"] == langs["mixed"] == langs["brackets"] == "zh"
    assert langs["html"] == "en"
    assert langs["empty"] == langs["arabic"] == "other"
    assert scorer.score_one(ScoreInput(text="")).sentiment.label == "unknown"


def test_traditional_chinese_is_categorised(scorer: Scorer) -> None:
    score = scorer.score_one(ScoreInput(text=HOSTILE["traditional"]))
    cats = {c.category: c for c in score.categories}
    assert "過敏" in cats["product_safety"].evidence
    assert "customer_complaint" in cats


def test_shared_sentiment_path_matches_sentiment_model(scorer: Scorer, models_dir: Path) -> None:
    texts = [*EDGE_TEXTS, "great phone", "太好用了", "delayed again", "🙂"]
    junk = [t for t in texts if junk_reason(clean(t))]
    assert junk, "the hostile texts include junk"
    for score in scorer.score([ScoreInput(text=t) for t in junk]):
        assert score.sentiment.label == "unknown" and not score.categories
    texts = [t for t in texts if t not in junk]
    direct = SentimentModel.load(models_dir).predict(texts)
    # Without categories no event context adjusts the sentiment (classifiers.irony).
    plain = Scorer(
        sentiment=SentimentModel.load(models_dir),
        risk=RiskClassifier(categories=(), models=()),
        matrix=MatrixConfig(),
    )
    via_scorer = [s.sentiment for s in plain.score([ScoreInput(text=t) for t in texts])]
    for a, b in zip(direct, via_scorer, strict=True):
        assert (a.label, a.lang) == (b.label, b.lang)
        assert a.probs.keys() == b.probs.keys()
        for k in a.probs:
            assert a.probs[k] == pytest.approx(b.probs[k], abs=1e-9)


def test_given_language_wins_and_bad_language_is_detected(scorer: Scorer) -> None:
    assert scorer.score_one(ScoreInput(text="hello there", lang="zh")).lang == "zh"
    assert scorer.score_one(ScoreInput(text="hello there", lang="klingon")).lang == "en"


def test_garbage_signals_are_tolerated(scorer: Scorer) -> None:
    odd = ScoreInput(
        text="recall now",
        source_tier=7,
        author_reach=-5,
        metrics={"likes": "many", "views": float("nan"), 3: 4, "reposts": True},  # type: ignore[dict-item]
        entity_kind=5,  # type: ignore[arg-type]
        spread_ratio=float("inf"),
    )
    score = scorer.score_one(odd)
    check_valid(score)
    assert "tier-3 source" in score.reasons[1] and "no engagement" in score.reasons[1]
    assert "no volume baseline" in score.reasons[0]


def test_signals_reach_the_matrix(scorer: Scorer) -> None:
    text = "吃了这个牌子的奶粉后宝宝过敏住院，网传已经召回，紧急扩散"
    quiet = scorer.score_one(ScoreInput(text=text))
    loud = scorer.score_one(
        ScoreInput(
            text=text,
            source_tier=1,
            author_reach=3_000_000,
            metrics={"reposts": 12_000},
            entity_kind="product",
            spread_ratio=6.0,
        )
    )
    assert loud.impact > quiet.impact and loud.likelihood > quiet.likelihood
    assert GRADES.index(loud.grade) > GRADES.index(quiet.grade)
    assert "6.0x baseline volume" in loud.reasons[0]
    assert "tier-1 source, 3M followers, 12k reposts" in loud.reasons[1]


def test_grade_none_still_has_reasons(scorer: Scorer) -> None:
    score = scorer.score_one(ScoreInput(text="今天天气不错"))
    assert score.grade == "none"
    assert score.reasons[0].startswith("likelihood 1: ")


def test_micro_batches_match_single_scoring(scorer: Scorer) -> None:
    texts = [f"{t} #{i}" for i, t in enumerate(EDGE_TEXTS[4:8] * 80)][: MICRO_BATCH + 40]
    batch = scorer.score([ScoreInput(text=t) for t in texts])
    assert len(batch) == len(texts)
    picks = [0, MICRO_BATCH - 1, MICRO_BATCH, len(texts) - 1]
    assert [batch[i] for i in picks] == [scorer.score_one(ScoreInput(text=texts[i])) for i in picks]


class BrokenRisk(RiskClassifier):
    def score(self, texts: Sequence[str], langs: Sequence[str], **kw: object) -> list:  # type: ignore[override]
        if any("BOOM" in t for t in texts):
            raise RuntimeError("boom")
        return super().score(texts, langs, **kw)  # type: ignore[arg-type]


def test_a_failing_text_does_not_sink_its_batch(scorer: Scorer) -> None:
    broken = Scorer(
        sentiment=scorer.sentiment,
        risk=BrokenRisk(categories=scorer.risk.categories, models=scorer.risk.models),
        matrix=MatrixConfig(),
    )
    texts = ["投诉客服", "BOOM", "refund please"]
    out = broken.score([ScoreInput(text=t) for t in texts])
    assert out[0] == scorer.score_one(ScoreInput(text=texts[0]))
    assert out[2] == scorer.score_one(ScoreInput(text=texts[2]))
    assert out[1].sentiment.label == "unknown" and out[1].categories == ()
    check_valid(out[1])


def test_to_dict_shape(scorer: Scorer) -> None:
    data = scorer.score_one(ScoreInput(text=HOSTILE["traditional"])).to_dict()
    assert set(data) == {
        "lang",
        "sentiment",
        "intent",
        "categories",
        "top_category",
        "likelihood",
        "impact",
        "grade",
        "reasons",
    }
    assert set(data["sentiment"]) == {"label", "probs"}
    assert set(data["intent"]) == {"label", "probs"}
    assert abs(sum(data["sentiment"]["probs"].values()) - 1.0) < 1e-3
    first = data["categories"][0]
    assert set(first) == {"category", "score", "severity", "evidence", "source"}
    assert data["top_category"] == first["category"]
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


def test_custom_categories_and_matrix(models_dir: Path) -> None:
    from classifiers.risk_lexicon import CategorySpec

    custom = Scorer.load(
        models_dir=models_dir,
        categories=[CategorySpec("recall_watch", 5, lexicon={"en": {"recall*": 0.9}})],
        matrix=MatrixConfig(table=(("critical",) * 5,) * 5),
    )
    score = custom.score_one(ScoreInput(text="Recalled!"))
    assert [c.category for c in score.categories] == ["recall_watch"]
    assert score.grade == "critical"


def test_shipped_models_end_to_end() -> None:
    real = Scorer.load()
    scores = real.score([ScoreInput(text=t) for t in EDGE_TEXTS])
    for s in scores:
        check_valid(s)
    assert real.score([ScoreInput(text=t) for t in EDGE_TEXTS]) == scores
