"""The safe linear model format: features, scoring, save/load round trip, refusal of pickles."""

from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from classifiers.linear import (
    FeatureSpec,
    LinearTextModel,
    ModelFormatError,
    extract_terms,
    featurize,
    featurize_one,
)

TEXTS = [
    "i love this flight",
    "worst service ever",
    "the flight leaves at 5",
    "我很喜欢这个产品",
    "太差了，再也不买",
    "今天发布了新版本",
]


def _model(lang: str = "en", output: str = "softmax", n_classes: int = 3) -> LinearTextModel:
    spec = FeatureSpec(lang=lang, n_features_log2=12, char_ngrams=(1, 3), char_mode="chars")
    rng = np.random.RandomState(0)
    classes = ["negative", "neutral", "positive"][:n_classes]
    return LinearTextModel(
        spec=spec,
        classes=classes,
        coef=rng.randn(n_classes, spec.n_features),
        intercept=rng.randn(n_classes),
        output=output,
        meta={"note": "test"},
    )


def test_features_are_deterministic_and_l2_normalised_per_block() -> None:
    spec = FeatureSpec(lang="en", n_features_log2=14)
    a = featurize(TEXTS, spec)
    b = featurize(list(reversed(TEXTS)), spec)[::-1]
    assert (a != b).nnz == 0
    idx, val = featurize_one("i love this flight", spec)
    terms = extract_terms("i love this flight", spec)
    assert len(idx) == len(terms.words) + len(terms.chars)
    # two blocks of weight 1, each L2-normalised -> squared norm 2
    assert float((val**2).sum()) == pytest.approx(2.0, rel=1e-5)


def test_extract_terms_word_ngrams_and_char_wb() -> None:
    spec = FeatureSpec(lang="en", word_ngrams=2, char_ngrams=(2, 3), char_mode="wb")
    terms = extract_terms("Not good", spec)
    assert "not" in terms.words and "NEG_good" in terms.words and "not NEG_good" in terms.words
    assert " n" in terms.chars and "od " in terms.chars


def test_placeholders_do_not_make_char_ngrams() -> None:
    spec = FeatureSpec(lang="zh", char_ngrams=(1, 2), char_mode="chars", word_ngrams=0)
    terms = extract_terms("好 http://x.cn @某人", spec)
    assert terms.chars == ["好"]


def test_empty_text_scores_to_intercept_softmax() -> None:
    m = _model()
    p = m.predict_proba(["", "<b></b>"])
    assert np.allclose(p[0], p[1]) and p.sum(axis=1) == pytest.approx([1.0, 1.0])


def test_batched_equals_one_at_a_time() -> None:
    m = _model(lang="zh")
    batch = m.predict_proba(TEXTS)
    ones = np.vstack([m.predict_proba_one(t) for t in TEXTS])
    assert np.allclose(batch, ones, atol=1e-6)


def test_sigmoid_output_is_per_class() -> None:
    m = _model(output="sigmoid")
    p = m.predict_proba(TEXTS)
    assert p.shape == (len(TEXTS), 3) and np.all((p > 0) & (p < 1))


def test_binary_sklearn_shape_is_expanded() -> None:
    spec = FeatureSpec(lang="en", n_features_log2=10)
    m = LinearTextModel(
        spec=spec, classes=["neg", "pos"], coef=np.zeros((1, spec.n_features)), intercept=[2.0]
    )
    assert m.coef_t.shape == (spec.n_features, 2)
    assert m.predict_proba_one("x")[1] == pytest.approx(1 / (1 + np.exp(-2.0)))


def test_round_trip_identical(tmp_path: Path) -> None:
    m = _model().with_calibration(temperature=1.7, class_bias=[0.1, -0.2, 0.0])
    npz, js = m.save(tmp_path / "m")
    assert npz.name == "m.npz" and js.name == "m.json"
    loaded = LinearTextModel.load(tmp_path / "m.npz")
    assert np.array_equal(m.predict_proba(TEXTS), loaded.predict_proba(TEXTS))
    assert loaded.classes == m.classes and loaded.spec == m.spec
    assert loaded.temperature == 1.7 and loaded.meta == {"note": "test"}


def test_refuses_object_arrays(tmp_path: Path) -> None:
    m = _model()
    npz, js = m.save(tmp_path / "m")
    header = json.loads(js.read_text())
    evil = np.array([{"x": 1}], dtype=object)
    np.savez(npz, rows=evil, values=evil, intercept=evil, class_bias=evil)
    import hashlib

    header["npz_sha256"] = hashlib.sha256(npz.read_bytes()).hexdigest()
    js.write_text(json.dumps(header))
    with pytest.raises(ModelFormatError, match="unsafe"):
        LinearTextModel.load(tmp_path / "m")


def test_refuses_plain_pickle(tmp_path: Path) -> None:
    m = _model()
    npz, js = m.save(tmp_path / "m")
    npz.write_bytes(pickle.dumps({"coef": [1, 2, 3]}))
    import hashlib

    header = json.loads(js.read_text())
    header["npz_sha256"] = hashlib.sha256(npz.read_bytes()).hexdigest()
    js.write_text(json.dumps(header))
    with pytest.raises(ModelFormatError):
        LinearTextModel.load(tmp_path / "m")


def test_checksum_mismatch_is_refused(tmp_path: Path) -> None:
    m = _model()
    npz, _ = m.save(tmp_path / "m")
    with zipfile.ZipFile(npz, "a") as zf:
        zf.writestr("extra.npy", b"junk")
    with pytest.raises(ModelFormatError, match="checksum"):
        LinearTextModel.load(tmp_path / "m")


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("format", "other", "format"),
        ("version", 99, "version"),
        ("classes", "abc", "classes"),
        ("spec", {"lang": "fr"}, "spec"),
    ],
)
def test_bad_header_fields(tmp_path: Path, field: str, value: object, match: str) -> None:
    _, js = _model().save(tmp_path / "m")
    header = json.loads(js.read_text())
    header[field] = value
    js.write_text(json.dumps(header))
    with pytest.raises(ModelFormatError, match=match):
        LinearTextModel.load(tmp_path / "m")


def test_missing_files_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(ModelFormatError, match="nothing.json"):
        LinearTextModel.load(tmp_path / "nothing")


def test_spec_validation() -> None:
    with pytest.raises(ModelFormatError):
        FeatureSpec(n_features_log2=40)
    with pytest.raises(ModelFormatError):
        FeatureSpec(word_ngrams=0, char_ngrams=(0, 0))
    with pytest.raises(ModelFormatError):
        FeatureSpec(char_ngrams=(3, 2))


def test_explain_returns_terms_of_the_text() -> None:
    spec = FeatureSpec(lang="en", n_features_log2=12, char_ngrams=(0, 0))
    from classifiers.linear import featurize as feat

    x = feat(["terrible awful", "lovely great"], spec)
    coef = np.zeros((2, spec.n_features))
    coef[0] = -np.asarray(x[0].todense()).ravel() + np.asarray(x[1].todense()).ravel()
    coef[1] = -coef[0]
    m = LinearTextModel(spec=spec, classes=["pos", "neg"], coef=coef, intercept=[0.0, 0.0])
    terms = [t for t, _ in m.explain("so terrible today", "neg", k=3)]
    assert terms == ["terrible"]


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize(
    "spec_kw",
    [
        {"lang": "en", "char_ngrams": (2, 5), "char_mode": "wb"},
        {"lang": "en", "char_ngrams": (1, 3), "char_mode": "wb"},
        {"lang": "zh", "char_ngrams": (1, 3), "char_mode": "chars"},
    ],
)
def test_fast_path_equals_term_path(spec_kw: dict[str, object], binary: bool) -> None:
    from classifiers.linear import blocks_from_terms

    spec = FeatureSpec(n_features_log2=12, binary=binary, **spec_kw)  # type: ignore[arg-type]
    texts = [*TEXTS, "", "😀", "<b>x</b>", "a  b", "URL @USER x", "好好好好", "no no no!!"]
    fast = featurize(texts, spec)
    slow_blocks = blocks_from_terms([extract_terms(t, spec) for t in texts], spec)
    slow = slow_blocks[0] + slow_blocks[1]
    assert abs(fast - slow).max() < 1e-6


def test_binary_spec_round_trips(tmp_path: Path) -> None:
    spec = FeatureSpec(lang="en", n_features_log2=11, binary=True)
    m = LinearTextModel(
        spec=spec,
        classes=["a", "b"],
        coef=np.random.RandomState(1).randn(2, spec.n_features),
        intercept=[0.0, 0.0],
    )
    m.save(tmp_path / "b")
    loaded = LinearTextModel.load(tmp_path / "b")
    assert loaded.spec.binary
    assert np.array_equal(m.predict_proba(TEXTS), loaded.predict_proba(TEXTS))
