"""Train the learned risk-category models from ../shared/data/risk.

    python -m classifiers.training.train_risk --data ../shared/data --out classifiers/models

One binary logistic regression per (category, language) with labelled data, over the same
hashed features as the shipped sentiment model of that language (so the scorer tokenises each
text once). Dedup by normalised text, fixed seed, stratified dev split; the shipped model is
the one trained on the train split, pruned to its strongest features, so the dev scores in the
report are those of the shipped file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.linear import (
    FeatureSpec,
    LinearTextModel,
    ModelFormatError,
    Terms,
    extract_terms,
    matrix_from_terms,
    proba_from_matrix,
)
from classifiers.text import detect_lang, init_jieba
from classifiers.training.risk_data import (
    CORPORA,
    Corpus,
    CorpusDef,
    Example,
    ExtraLabel,
    load_corpus,
    norm_key,
    stratified_split,
)

DEV_FRACTION = 0.2
KEEP_FEATURES = 20_000
C_VALUE = 4.0
DEFAULT_SPECS: dict[str, FeatureSpec] = {
    "en": FeatureSpec(lang="en", n_features_log2=20, word_ngrams=2, char_ngrams=(2, 4)),
    "zh": FeatureSpec(
        lang="zh", n_features_log2=20, word_ngrams=2, char_ngrams=(1, 3), char_mode="chars"
    ),
}


class RiskTrainingError(RuntimeError):
    """Training cannot start or finish (missing data folder, unreadable file)."""


@dataclass(frozen=True)
class ModelReport:
    """Figures for one trained model, as shown on the model card."""

    name: str
    category: str
    lang: str
    sources: tuple[str, ...]
    licence: str
    dedup: dict[str, int]
    n_train: int
    n_dev: int
    dev_positive: int
    dev_precision: float
    dev_recall: float
    dev_f1: float
    dev_accuracy: float
    dev_f1_by_source: dict[str, float]
    background_rate: float | None
    n_features: int
    bytes: int
    seconds: float
    corrections: int = 0


@dataclass(frozen=True)
class RiskTrainReport:
    """What ``train_risk`` did: one entry per model plus totals."""

    models: tuple[ModelReport, ...]
    seed: int
    seconds: float
    total_bytes: int
    corrections_ignored: int = 0
    feature_specs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def shared_spec(lang: str, out_dir: Path) -> FeatureSpec:
    """The feature spec of the shipped sentiment model for ``lang``, else the default."""
    for path in sorted(out_dir.glob(f"sentiment*{lang}*.json")):
        try:
            header = json.loads(path.read_text("utf-8"))
            spec = FeatureSpec.from_dict(header["spec"])
        except (OSError, ValueError, KeyError, TypeError, ModelFormatError):
            continue
        if spec.lang == lang:
            return spec
    return DEFAULT_SPECS[lang]


def _prf(y: np.ndarray, pred: np.ndarray) -> tuple[float, float, float, float]:
    tp = int(np.sum((pred == 1) & (y == 1)))
    fp = int(np.sum((pred == 1) & (y == 0)))
    fn = int(np.sum((pred == 0) & (y == 1)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = float(np.mean(pred == y)) if len(y) else 0.0
    return round(precision, 4), round(recall, 4), round(f1, 4), round(accuracy, 4)


def _background_texts(data_dir: Path, lang: str) -> list[str]:
    """Ordinary social posts to measure how often a model fires outside its own data."""
    try:
        if lang == "zh":
            path = data_dir / "sentiment" / "zh" / "smp2020_ewect_virus" / "virus_eval_labeled.txt"
            rows = json.loads(path.read_text("utf-8"))
            return [str(r["content"]) for r in rows if isinstance(r, dict) and "content" in r]
        path = data_dir / "sentiment" / "en" / "tweeteval" / "sentiment" / "val_text.txt"
        return path.read_text("utf-8").splitlines()
    except (OSError, ValueError):
        return []


def _with_corrections(
    train: list[Example], dev: list[Example], extra: Sequence[ExtraLabel]
) -> tuple[list[Example], list[Example]]:
    keys = {norm_key(e.text) for e in extra}
    train = [e for e in train if norm_key(e.text) not in keys]
    dev = [e for e in dev if norm_key(e.text) not in keys]
    train.extend(Example(e.text, int(e.label), "corrections") for e in extra)
    return train, dev


def _fit(
    x: Any, y: np.ndarray, weights: np.ndarray, seed: int
) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(
        C=C_VALUE, solver="liblinear", class_weight="balanced", max_iter=300, random_state=seed
    )
    clf.fit(x, y, sample_weight=weights)
    coef = clf.coef_[0].astype(np.float64)
    if np.count_nonzero(coef) > KEEP_FEATURES:
        cut = np.partition(np.abs(coef), -KEEP_FEATURES)[-KEEP_FEATURES]
        coef[np.abs(coef) < cut] = 0.0
    return coef, float(clf.intercept_[0])


def train_one(
    corpus: Corpus,
    *,
    spec: FeatureSpec,
    out_dir: Path,
    seed: int,
    extra: Sequence[ExtraLabel] = (),
    background: Sequence[str] = (),
) -> ModelReport:
    """Train, evaluate on the dev split, and save one model; return its figures."""
    started = time.perf_counter()
    train, dev = stratified_split(corpus.examples, dev_fraction=DEV_FRACTION, seed=seed)
    if extra:
        train, dev = _with_corrections(train, dev, extra)
    if len({e.label for e in train}) < 2:
        raise RiskTrainingError(f"{corpus.name}: training data has a single label")

    def terms(rows: Iterable[str]) -> list[Terms]:
        return [extract_terms(t, spec) for t in rows]

    x_train = matrix_from_terms(terms(e.text for e in train), spec)
    y_train = np.array([e.label for e in train], dtype=np.int64)
    w_train = np.array([e.weight for e in train], dtype=np.float64)
    coef, intercept = _fit(x_train, y_train, w_train, seed)
    model = LinearTextModel(
        spec=spec,
        classes=("other", corpus.category),
        coef=coef.reshape(1, -1),
        intercept=np.array([intercept]),
        storage_dtype="float16",
        meta={
            "kind": "risk",
            "category": corpus.category,
            "lang": corpus.lang,
            "trained_on": list(corpus.sources),
            "licence": corpus.licence,
            "seed": seed,
        },
    )
    dev_terms = terms(e.text for e in dev)
    p_dev = proba_from_matrix(model, matrix_from_terms(dev_terms, spec))[:, 1]
    y_dev = np.array([e.label for e in dev], dtype=np.int64)
    pred = (p_dev >= 0.5).astype(np.int64)
    precision, recall, f1, accuracy = _prf(y_dev, pred)
    by_source: dict[str, float] = {}
    sources = np.array([e.source for e in dev])
    for source in sorted(set(sources.tolist())):
        mask = sources == source
        if len(set(y_dev[mask].tolist())) == 2:
            by_source[source] = _prf(y_dev[mask], pred[mask])[2]
    rate: float | None = None
    if background:
        p_bg = proba_from_matrix(model, matrix_from_terms(terms(background), spec))[:, 1]
        rate = round(float(np.mean(p_bg >= 0.5)), 4)
    meta = dict(model.meta)
    meta["dev"] = {"precision": precision, "recall": recall, "f1": f1, "n": len(dev)}
    model = LinearTextModel(
        spec=spec,
        classes=model.classes,
        coef=coef.reshape(1, -1),
        intercept=np.array([intercept]),
        storage_dtype="float16",
        meta=meta,
    )
    npz_path, json_path = model.save(out_dir / corpus.name)
    return ModelReport(
        name=corpus.name,
        category=corpus.category,
        lang=corpus.lang,
        sources=corpus.sources,
        licence=corpus.licence,
        dedup=corpus.stats,
        n_train=len(train),
        n_dev=len(dev),
        dev_positive=int(y_dev.sum()),
        dev_precision=precision,
        dev_recall=recall,
        dev_f1=f1,
        dev_accuracy=accuracy,
        dev_f1_by_source=by_source,
        background_rate=rate,
        n_features=int(np.count_nonzero(coef)),
        bytes=npz_path.stat().st_size + json_path.stat().st_size,
        seconds=round(time.perf_counter() - started, 1),
        corrections=len(extra),
    )


def train_risk(
    *,
    data_dir: Path,
    out_dir: Path,
    seed: int = 13,
    extra: Iterable[ExtraLabel] = (),
    only: Sequence[str] = (),
) -> RiskTrainReport:
    """Train every risk model with labelled data; ``extra`` adds responders' corrections."""
    started = time.perf_counter()
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    if not (data_dir / "risk").is_dir():
        raise RiskTrainingError(f"{data_dir}: no 'risk' folder (expected ../shared/data)")
    out_dir.mkdir(parents=True, exist_ok=True)
    init_jieba()
    definitions: list[CorpusDef] = [d for d in CORPORA if not only or d.name in only]
    by_target: dict[tuple[str, str], list[ExtraLabel]] = {}
    ignored = 0
    known = {(d.category, d.lang) for d in definitions}
    for label in extra:
        lang = label.lang or detect_lang(label.text)
        if (label.category, lang) in known:
            by_target.setdefault((label.category, lang), []).append(label)
        else:
            ignored += 1
    specs = {lang: shared_spec(lang, out_dir) for lang in sorted({d.lang for d in definitions})}
    backgrounds = {lang: _background_texts(data_dir, lang) for lang in specs}
    reports: list[ModelReport] = []
    for definition in definitions:
        try:
            corpus = load_corpus(data_dir, definition, seed)
        except OSError as exc:
            raise RiskTrainingError(f"{definition.name}: cannot read data ({exc})") from exc
        reports.append(
            train_one(
                corpus,
                spec=specs[definition.lang],
                out_dir=out_dir,
                seed=seed,
                extra=by_target.get((definition.category, definition.lang), []),
                background=backgrounds[definition.lang],
            )
        )
    return RiskTrainReport(
        models=tuple(reports),
        seed=seed,
        seconds=round(time.perf_counter() - started, 1),
        total_bytes=sum(r.bytes for r in reports),
        corrections_ignored=ignored,
        feature_specs={lang: spec.to_dict() for lang, spec in specs.items()},
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: train, print the JSON report."""
    from classifiers.training.risk_data import read_extra_jsonl

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("classifiers/models"))
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--extra", type=Path, help="corrections as JSON lines")
    parser.add_argument("--only", action="append", default=[], help="model name (repeatable)")
    args = parser.parse_args(argv)
    try:
        extra = read_extra_jsonl(args.extra) if args.extra else []
        report = train_risk(
            data_dir=args.data, out_dir=args.out, seed=args.seed, extra=extra, only=args.only
        )
    except (RiskTrainingError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
