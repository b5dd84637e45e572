"""Risk training: dedup, splits, a small end-to-end training run, and the shared-data readers."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from classifiers.features import term_columns
from classifiers.linear import FeatureSpec, LinearTextModel
from classifiers.risk import Combination
from classifiers.training import risk_data
from classifiers.training.background import markup_columns
from classifiers.training.examples import Example, norm_key
from classifiers.training.risk_calibration import (
    CALIBRATION_SHARE,
    ORDINARY_BUDGET,
    fit_combination,
    in_calibration,
)
from classifiers.training.risk_data import (
    Corpus,
    ExtraLabel,
    dedup,
    read_extra_jsonl,
    stratified_split,
)
from classifiers.training.train_risk import RiskTrainingError, main, train_one, train_risk

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
needs_data = pytest.mark.skipif(
    not (DATA / "risk").is_dir(), reason="../shared/data/risk is not present"
)
SMALL = FeatureSpec(lang="en", n_features_log2=14, word_ngrams=2, char_ngrams=(0, 0))
POS = ["refund", "never arrived", "broken", "worst service", "still waiting", "rude staff"]
NEG = ["lovely day", "great coffee", "see you soon", "happy birthday", "nice photo", "good game"]
FILLER = ["the", "a", "my", "our", "this", "today", "again", "really", "so", "very", "just", "now"]


def synthetic(n: int, seed: int = 1) -> list[Example]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = i % 2
        phrase = rng.choice(POS if label else NEG)
        words = [*rng.sample(FILLER, 3), phrase, f"w{i}"]
        rng.shuffle(words)
        rows.append(Example(" ".join(words), label, "synthetic"))
    return rows


def corpus(rows: list[Example]) -> Corpus:
    return Corpus("risk_test_en", "customer_complaint", "en", ("synthetic",), "test", rows, {})


def test_norm_key_ignores_script_case_urls_handles_and_punctuation() -> None:
    assert norm_key("皮膚過敏了！") == norm_key("皮肤过敏了")
    assert norm_key("RT @someone: Refund NOW http://x.co/1") == norm_key("refund now!!")
    assert norm_key("http://spam.example/a") != norm_key("http://spam.example/b")
    assert norm_key("   ") == ""


def test_dedup_drops_repeats_and_conflicts_and_weak_never_beats_gold() -> None:
    gold = [
        Example("Refund please", 1, "g"),
        Example("refund please!!", 1, "g"),
        Example("ok then", 0, "g"),
        Example("OK then", 1, "g"),
        Example("  ", 1, "g"),
    ]
    weak = [
        Example("refund please", 0, "w", weight=0.5),
        Example("nice day", 0, "w", weight=0.5),
        Example("meh day", 0, "w", weight=0.5),
        Example("meh day", 1, "w", weight=0.5),
    ]
    kept, stats = dedup(gold, weak)
    assert [(e.text, e.label) for e in kept] == [("Refund please", 1), ("nice day", 0)]
    assert stats["conflict_keys"] == 2
    assert stats["empty"] == 1
    assert stats["duplicates"] == 2
    assert stats["kept_gold"] == 1


def test_stratified_split_is_seeded_and_keeps_weak_rows_out_of_dev() -> None:
    rows = synthetic(200) + [Example(f"weak {i}", 0, "w", weight=0.5) for i in range(30)]
    train, dev = stratified_split(rows, dev_fraction=0.2, seed=5)
    again, dev_again = stratified_split(rows, dev_fraction=0.2, seed=5)
    assert (train, dev) == (again, dev_again)
    assert len(dev) == 40 and sum(e.label for e in dev) == 20
    assert all(e.weight >= 1.0 for e in dev)
    assert len(train) == 190
    other, _ = stratified_split(rows, dev_fraction=0.2, seed=6)
    assert other != train


def test_train_one_saves_a_loadable_deterministic_model(tmp_path: Path) -> None:
    rows = synthetic(400)
    bg = ["lovely day with coffee", "good game tonight"]
    report = train_one(corpus(rows), spec=SMALL, out_dir=tmp_path / "a", seed=13, background=bg)
    again = train_one(corpus(rows), spec=SMALL, out_dir=tmp_path / "b", seed=13, background=bg)
    assert (tmp_path / "a" / "risk_test_en.npz").read_bytes() == (
        tmp_path / "b" / "risk_test_en.npz"
    ).read_bytes()
    assert report.dev_f1 == again.dev_f1 >= 0.95
    # The calibration slice of the training side fits the combination, not the model.
    held = report.calibration["held_out"]
    assert (report.n_train + held, report.n_dev) == (320, 80) and 20 < held < 80
    assert held == report.calibration["n_gold"]
    assert report.background_rate == 0.0
    model = LinearTextModel.load(tmp_path / "a" / "risk_test_en")
    assert model.classes == ("other", "customer_complaint")
    assert (
        model.meta["category"] == "customer_complaint" and model.meta["dev"]["f1"] == report.dev_f1
    )
    combination = Combination.from_meta(model.meta["combination"])
    assert combination is not None and combination.model > 0
    p = model.predict_proba(["still waiting for my refund", "happy birthday"])[:, 1]
    assert p[0] > 0.5 > p[1]


def test_markup_columns_mask_weibo_emoticons_but_not_their_words() -> None:
    spec = FeatureSpec(
        lang="zh", n_features_log2=18, word_ngrams=2, char_ngrams=(1, 3), char_mode="chars"
    )
    mask = markup_columns(["失踪儿童找到了[蜡烛][蜡烛]", "今天天气不错"], spec)
    for block, terms in (("words", ["[蜡烛]"]), ("chars", ["[蜡", "烛]", "[蜡烛"])):
        assert mask[term_columns(terms, spec, block)[0]].all()
    # The words inside and the text around them stay features (a candle is still a candle).
    assert not mask[term_columns(["蜡烛", "儿童"], spec, "chars")[0]].any()
    assert not markup_columns(["今天天气不错"], spec).any()


def test_calibration_slice_is_stable_and_independent_of_the_benchmark_split() -> None:
    from classifiers.training.background import is_dev

    texts = [f"ordinary post number {i}" for i in range(4000)]
    held = [in_calibration(t) for t in texts]
    assert held == [in_calibration(t.upper() + "!") for t in texts]  # by normalised text
    assert abs(sum(held) / len(texts) - CALIBRATION_SHARE) < 0.02
    dev = [is_dev(t) for t in texts]
    both = sum(h and d for h, d in zip(held, dev, strict=True)) / len(texts)
    assert abs(both - CALIBRATION_SHARE * sum(dev) / len(texts)) < 0.01


def test_fit_combination_keeps_ordinary_text_within_budget_and_folds_the_cut() -> None:
    rng = np.random.default_rng(3)
    # Gold: positives score high, negatives low; ordinary text overlaps the positives'
    # lower range, and a lexicon term is common among positives.
    z = np.concatenate([rng.normal(2, 1, 300), rng.normal(-2, 1, 300), rng.normal(0, 1.5, 2000)])
    lex = np.concatenate([np.where(rng.random(300) < 0.5, 0.6, 0.0), np.zeros(300), np.zeros(2000)])
    y = np.array([1] * 300 + [0] * 2300)
    ordinary = np.array([False] * 600 + [True] * 2000)
    report = fit_combination(z, lex, y, ordinary)
    fired = report.combination.proba(z, lex) >= 0.5
    assert fired[ordinary].mean() <= ORDINARY_BUDGET["en"]
    assert report.ordinary_rate == round(float(fired[ordinary].mean()), 4)
    assert report.recall == round(float(fired[y == 1].mean()), 4) > 0.5
    assert report.combination.model > 0 and report.combination.cue > 0
    assert (report.n_gold, report.n_ordinary) == (600, 2000)


def test_fit_combination_weighs_each_labelled_set_alike() -> None:
    rng = np.random.default_rng(5)
    # A small set's positives score like the large set's negatives: the pooled F1 (the large
    # set's) leaves them out, the mean of the two sets' F1 takes them in.
    z = np.concatenate(
        [
            rng.normal(3, 0.5, 800),
            rng.normal(-0.5, 0.3, 200),
            rng.normal(-0.5, 0.3, 100),
            rng.normal(-3, 0.5, 200),
            rng.normal(-6, 1, 2000),
        ]
    )
    lex = np.zeros(len(z))
    y = np.array([1] * 800 + [0] * 200 + [1] * 100 + [0] * 2200)
    ordinary = np.array([False] * 1300 + [True] * 2000)
    sources = np.array(["big"] * 1000 + ["small"] * 300 + [""] * 2000)
    pooled = fit_combination(z, lex, y, ordinary)
    per_set = fit_combination(z, lex, y, ordinary, sources=sources)
    small = np.arange(len(z)) >= 1000
    small_pos = small & (y == 1) & ~ordinary
    fired_pooled = pooled.combination.proba(z, lex) >= 0.5
    fired_set = per_set.combination.proba(z, lex) >= 0.5
    assert fired_set[small_pos].mean() > fired_pooled[small_pos].mean()
    assert fired_set[ordinary].mean() <= ORDINARY_BUDGET["en"]


def test_the_ordinary_negatives_a_corpus_lacks_join_its_training_side(tmp_path: Path) -> None:
    rows = synthetic(200)
    plain = [Example(f"nice photo of the lake {i}", 0, "ordinary_tweets", 0.5) for i in range(50)]
    bare = train_one(corpus(rows), spec=SMALL, out_dir=tmp_path, seed=13)
    joined = train_one(
        corpus(rows), spec=SMALL, out_dir=tmp_path, seed=13, ordinary_negatives=plain
    )
    # Every ordinary text joins the training side (some in its calibration slice); dev is the
    # same rows.
    added = joined.n_train + joined.calibration["held_out"] - bare.n_train
    assert added - bare.calibration["held_out"] == len(plain) and joined.n_dev == bare.n_dev
    # A corpus sampled with some of them (max_rows) gets the others, each text once.
    with_own = corpus([*rows, *plain[:10]])
    again = train_one(with_own, spec=SMALL, out_dir=tmp_path, seed=13, ordinary_negatives=plain)
    assert again.n_train + again.calibration["held_out"] + again.n_dev == 250


def test_corrections_join_training_and_leave_dev(tmp_path: Path) -> None:
    rows = synthetic(100)
    extra = [ExtraLabel(rows[0].text, "customer_complaint", not bool(rows[0].label), "en")]
    report = train_one(corpus(rows), spec=SMALL, out_dir=tmp_path, seed=13, extra=extra)
    assert report.corrections == 1
    assert report.n_train + report.calibration["held_out"] + report.n_dev == 100


def test_read_extra_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "fixes.jsonl"
    path.write_text(
        json.dumps({"text": "t", "category": "spam", "label": True})
        + "\n\n"
        + json.dumps({"text": "u", "category": "spam", "label": 0, "lang": "en"})
        + "\n",
        encoding="utf-8",
    )
    assert read_extra_jsonl(path) == [
        ExtraLabel("t", "spam", True, None),
        ExtraLabel("u", "spam", False, "en"),
    ]
    path.write_text('{"text": "t"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"fixes\.jsonl:1"):
        read_extra_jsonl(path)


def test_missing_data_folder_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(RiskTrainingError, match="no 'risk' folder"):
        train_risk(data_dir=tmp_path, out_dir=tmp_path / "out")
    assert main(["--data", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "error:" in capsys.readouterr().err


def test_an_unknown_model_name_is_an_error_not_an_empty_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "risk").mkdir()
    with pytest.raises(RiskTrainingError, match="complaint_zh: no such risk model"):
        train_risk(data_dir=tmp_path, out_dir=tmp_path / "out", only=["complaint_zh"])
    assert not (tmp_path / "out").exists()
    args = ["--data", str(tmp_path), "--out", str(tmp_path / "out"), "--only", "risk_spam_xx"]
    assert main(args) == 2
    assert "risk_complaint_zh" in capsys.readouterr().err


@needs_data
@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("reader", "rows", "positives"),
    [
        (risk_data.read_complaints, 3449, 1232),
        (risk_data.read_ced, 3387, 1538),
        (risk_data.read_pheme, 4804, 2402),
        (risk_data.read_cold, 32157, 15934),
        (risk_data.read_davidson, 24783, 20620),
        (risk_data.read_youtube_spam, 1956, 1005),
    ],
)
def test_shared_data_readers(reader: object, rows: int, positives: int) -> None:
    examples = reader(DATA)  # type: ignore[operator]
    assert len(examples) == rows
    assert sum(e.label for e in examples) == positives
    assert all(isinstance(e.text, str) for e in examples)


@needs_data
@pytest.mark.shared_data
def test_shared_data_corpus_dedup_counts() -> None:
    definition = next(d for d in risk_data.CORPORA if d.name == "risk_spam_en")
    loaded = risk_data.load_corpus(DATA, definition, seed=13)
    assert loaded.stats["gold_rows"] == 1956
    assert loaded.stats["kept_gold"] < 1956
    assert len({norm_key(e.text) for e in loaded.examples}) == len(loaded.examples)
    assert np.mean([e.label for e in loaded.examples if e.weight >= 1]) > 0.4


def test_intent_holds_out_the_complaint_models_split_constants() -> None:
    from classifiers.training import detection_data, intent_data, train_risk

    assert intent_data.RISK_DEV_FRACTION == train_risk.DEV_FRACTION == detection_data.DEV_FRACTION


@needs_data
@pytest.mark.shared_data
def test_intent_never_trains_on_the_benchmarks_texts() -> None:
    from classifiers.training.detection_data import detection_rows
    from classifiers.training.train_intent import load_examples

    trained = {norm_key(e.text) for e in load_examples(DATA)[0]}
    bench = {norm_key(r.text) for r in detection_rows(DATA)}
    assert len(bench) > 8000 and len(trained) > 10000
    assert not bench & trained
