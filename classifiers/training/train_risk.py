"""Train the learned risk-category models from ../shared/data/risk.

    python -m classifiers.training.train_risk --data ../shared/data --out classifiers/models

One binary logistic regression per (category, language) with labelled data, over the same
hashed features as the shipped sentiment model of that language (so the scorer tokenises each
text once). Dedup by normalised text, fixed seed, stratified dev split; the shipped model is
the one trained on the train split less its calibration slice (``risk_calibration``), pruned
to its strongest features, so the dev scores in the report are those of the shipped file. The
calibration slice (gold rows and ordinary texts of the training side) then fits how the model
and its category's lexicon combine; the fitted ``combination`` is stored in the model's meta.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.intent import IntentModel
from classifiers.languages import LANGUAGES
from classifiers.linear import FeatureSpec, LinearTextModel, ModelFormatError
from classifiers.risk import FeatureCache, Features, RiskClassifier, positive_proba
from classifiers.risk_lexicon import CategorySpec, load_categories
from classifiers.scorer import INTENT_GATE
from classifiers.text import clean, detect_lang, init_jieba
from classifiers.training.background import (
    GENERIC_DF,
    MARKUP_LANGS,
    generic_columns,
    markup_columns,
    ordinary_texts,
    weak_negatives,
)
from classifiers.training.detection_data import benchmark_keys
from classifiers.training.examples import Example, norm_key
from classifiers.training.risk_calibration import (
    ORDINARY_BUDGET,
    CalibrationReport,
    fit_combination,
    in_calibration,
    lexicon_features,
)
from classifiers.training.risk_data import (
    CORPORA,
    Corpus,
    CorpusDef,
    ExtraLabel,
    load_corpus,
    stratified_split,
)

DEV_FRACTION = 0.2
KEEP_FEATURES = 20_000
C_VALUE = 4.0
# Hard negatives: ordinary texts the model, fitted once, puts on the category's side train
# at this multiple of their weight in a second fit (Chinese: zh false alarms on the detection
# benchmark 58 -> 52 of 1,500 for recall 0.8665 -> 0.8634; x10 gave 54 / 0.8609, two rounds
# of x3 57 / 0.8606). English was not retrained with it (its false alarms were not the target).
HARD_WEIGHT: dict[str, float] = {"zh": 3.0}
# Ordinary texts are read as weak rows (their Example weight keeps them out of dev splits)
# but train at this weight, as heavy as a gold negative: everyday negative posts (grumbles,
# swearing, news of deaths) must weigh against a category as much as labelled negatives do.
ORDINARY_WEIGHT = 1.0
# The sentiment models' layout (train_sentiment.spec_for); used when no manifest is present.
DEFAULT_SPECS: dict[str, FeatureSpec] = {
    "en": FeatureSpec(
        lang="en", n_features_log2=20, word_ngrams=2, char_ngrams=(2, 5), max_chars=400
    ),
    "zh": FeatureSpec(
        lang="zh",
        n_features_log2=20,
        word_ngrams=2,
        char_ngrams=(1, 3),
        char_mode="chars",
        max_chars=400,
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
    calibration: dict[str, Any] = field(default_factory=dict)
    dev_combined: dict[str, float] = field(default_factory=dict)
    background_rate_combined: float | None = None


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
    """The feature spec of the shipped sentiment model for ``lang``, else the default.

    Sharing it lets the scorer extract each text's terms once for sentiment and risk.
    """
    try:
        manifest = json.loads((out_dir / "sentiment.json").read_text("utf-8"))
        main = manifest["languages"][lang]["main"]
        stem = Path(str(main)).name.removesuffix(".npz").removesuffix(".json")
        header = json.loads((out_dir / f"{stem}.json").read_text("utf-8"))
        spec = FeatureSpec.from_dict(header["spec"])
    except (OSError, ValueError, KeyError, TypeError, ModelFormatError):
        return DEFAULT_SPECS[lang]
    return spec if spec.lang == lang else DEFAULT_SPECS[lang]


def _prf(y: np.ndarray, pred: np.ndarray) -> tuple[float, float, float, float]:
    tp = int(np.sum((pred == 1) & (y == 1)))
    fp = int(np.sum((pred == 1) & (y == 0)))
    fn = int(np.sum((pred == 0) & (y == 1)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = float(np.mean(pred == y)) if len(y) else 0.0
    return round(precision, 4), round(recall, 4), round(f1, 4), round(accuracy, 4)


def _with_corrections(
    train: list[Example], dev: list[Example], extra: Sequence[ExtraLabel]
) -> tuple[list[Example], list[Example]]:
    keys = {norm_key(e.text) for e in extra}
    train = [e for e in train if norm_key(e.text) not in keys]
    dev = [e for e in dev if norm_key(e.text) not in keys]
    train.extend(Example(e.text, int(e.label), "corrections") for e in extra)
    return train, dev


def _fit(x: Any, y: np.ndarray, weights: np.ndarray, seed: int) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(
        C=C_VALUE, solver="liblinear", class_weight="balanced", max_iter=300, random_state=seed
    )
    clf.fit(x, y, sample_weight=weights)
    coef = clf.coef_[0].astype(np.float64)
    if np.count_nonzero(coef) > KEEP_FEATURES:
        keep = np.argpartition(-np.abs(coef), KEEP_FEATURES)[:KEEP_FEATURES]
        pruned = np.zeros_like(coef)
        pruned[keep] = coef[keep]
        coef = pruned
    return coef, float(clf.intercept_[0])


def _train_weight(example: Example) -> float:
    return ORDINARY_WEIGHT if example.source.startswith("ordinary_") else example.weight


def _held_out(example: Example) -> bool:
    """Training-side rows kept for calibration: gold rows and ordinary texts of the slice
    (responders' corrections always train; other weak rows are not reliable negatives)."""
    if example.source == "corrections" or not in_calibration(example.text):
        return False
    return example.weight >= 1.0 or example.source.startswith("ordinary_")


def _calibrate(
    model: LinearTextModel,
    features: Callable[[Iterable[str]], Features],
    held: Sequence[Example],
    ordinary: Sequence[str],
    categories: Sequence[CategorySpec],
    intent: IntentModel | None,
) -> CalibrationReport | None:
    """Fit the model + lexicon combination on the held-out gold rows and ordinary texts
    (None when the slice lacks either label: the model is then combined by max)."""
    category = model.classes[1]
    gold = [e for e in held if e.weight >= 1.0]
    if len({e.label for e in gold} | ({0} if ordinary else set())) < 2:
        return None
    keys = {norm_key(e.text) for e in gold}
    plain = list(dict.fromkeys(t for t in ordinary if norm_key(t) not in keys))
    texts = [e.text for e in gold] + plain
    z = _logit(positive_proba(model, features(texts), category))
    lex = lexicon_features([clean(t) for t in texts], category, categories)
    y = np.array([e.label for e in gold] + [0] * len(plain), dtype=np.int64)
    is_ordinary = np.array([False] * len(gold) + [True] * len(plain))
    weights = np.array([e.weight for e in gold] + [1.0] * len(plain))
    need = next((c.requires_intent for c in categories if c.name == category), "")
    reportable = None
    if need and intent is not None and model.spec.lang in intent.models:
        # The scorer drops the category where its intent is unlikely: such rows cannot fire.
        found = intent.predict(texts, [model.spec.lang] * len(texts))
        reportable = np.array([float(i.probs.get(need, 0.0)) >= INTENT_GATE for i in found])
    sources = np.array([e.source for e in gold] + [""] * len(plain))
    budget = ORDINARY_BUDGET[model.spec.lang]
    return fit_combination(z, lex, y, is_ordinary, weights, reportable, sources, budget)


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-12, 1 - 1e-12)
    out: np.ndarray = np.log(q / (1 - q))
    return out


def train_one(
    corpus: Corpus,
    *,
    spec: FeatureSpec,
    out_dir: Path,
    seed: int,
    extra: Sequence[ExtraLabel] = (),
    background: Sequence[str] = (),
    generic: np.ndarray | None = None,
    calibration_ordinary: Sequence[str] = (),
    categories: Sequence[CategorySpec] | None = None,
    intent: IntentModel | None = None,
    ordinary_negatives: Sequence[Example] = (),
    benchmark: frozenset[str] = frozenset(),
) -> ModelReport:
    """Train, calibrate, evaluate on the dev split, and save one model; return its figures.

    ``generic`` masks the feature columns of generic vocabulary (see ``generic_columns``),
    and in a language of ``MARKUP_LANGS`` those of the platform's emoticons are masked too
    (``markup_columns``);
    ``calibration_ordinary`` are the training side's ordinary texts of the calibration slice
    (for every model, also those that train on no ordinary text); ``intent`` is the intent
    model the scorer gates ``requires_intent`` categories with; ``ordinary_negatives`` (the
    training side's ordinary texts) join the training rows where the corpus lacks them;
    ``benchmark`` holds the keys of the detection benchmark's rows, which no model trains on
    (rumor_en read the benchmark's CrisisLex rows as weak non-rumours)."""
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    categories = tuple(categories) if categories is not None else load_categories()
    train, dev = stratified_split(corpus.examples, dev_fraction=DEV_FRACTION, seed=seed)
    if extra:
        train, dev = _with_corrections(train, dev, extra)
    # Every model learns against all of the training side's ordinary texts: those its corpus
    # lacks (CrisisLex reads none; a corpus sampled to max_rows keeps only some: 10,718 of
    # 27,228 Chinese posts for the complaint model) join after the split, so no dev row and
    # no sampled gold row changes.
    keys = {norm_key(e.text) for e in corpus.examples}
    train += [e for e in ordinary_negatives if norm_key(e.text) not in keys]
    train = [e for e in train if norm_key(e.text) not in benchmark]
    held = [e for e in train if _held_out(e)]
    train = [e for e in train if not _held_out(e)]
    if len({e.label for e in train}) < 2:
        raise RiskTrainingError(f"{corpus.name}: training data has a single label")

    def features(rows: Iterable[str]) -> Features:
        # Cleaned first, exactly as the scorer does before extracting terms.
        cleaned = [clean(t) for t in rows]
        return FeatureCache(cleaned, [spec.lang] * len(cleaned)).features(spec)

    blocks = [b.csr() for b in features(e.text for e in train).hashed]
    x_train = sum(blocks[1:], blocks[0]).tocsr()
    if spec.lang in MARKUP_LANGS:
        markup = markup_columns([clean(e.text) for e in train], spec)
        generic = markup if generic is None else generic | markup
    if generic is not None:
        x_train = x_train.multiply((~generic).astype(np.float32)[None, :]).tocsr()
    y_train = np.array([e.label for e in train], dtype=np.int64)
    w_train = np.array([_train_weight(e) for e in train], dtype=np.float64)
    coef, intercept = _fit(x_train, y_train, w_train, seed)
    hard_weight = HARD_WEIGHT.get(spec.lang, 1.0)
    if hard_weight != 1.0:
        # The ordinary texts the first fit takes for the category (grumbles read as
        # complaints, remarks on men and women read as offence) are its hardest negatives:
        # weighted up once, the refit must find what sets the category apart from them.
        ordinary = np.array([e.source.startswith("ordinary_") for e in train])
        hard = ordinary & (np.asarray(x_train @ coef).ravel() + intercept > 0)
        w_train = np.where(hard, w_train * hard_weight, w_train)
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
            "generic_df": GENERIC_DF.get(spec.lang) if generic is not None else None,
        },
    )
    calibration = _calibrate(model, features, held, calibration_ordinary, categories, intent)
    combination = calibration.combination if calibration else None
    p_dev = positive_proba(model, features(e.text for e in dev), corpus.category)
    y_dev = np.array([e.label for e in dev], dtype=np.int64)
    pred = (p_dev >= 0.5).astype(np.int64)
    precision, recall, f1, accuracy = _prf(y_dev, pred)

    def combined(texts: Sequence[str], p: np.ndarray) -> np.ndarray:
        lex = lexicon_features([clean(t) for t in texts], corpus.category, categories)
        score = np.maximum(p, lex) if combination is None else combination.proba(_logit(p), lex)
        fired: np.ndarray = (score >= 0.5).astype(np.int64)
        return fired

    dev_combined = _prf(y_dev, combined([e.text for e in dev], p_dev))[:3]
    by_source: dict[str, float] = {}
    sources = np.array([e.source for e in dev])
    for source in sorted(set(sources.tolist())):
        mask = sources == source
        if len(set(y_dev[mask].tolist())) == 2:
            by_source[source] = _prf(y_dev[mask], pred[mask])[2]
    rate: float | None = None
    rate_combined: float | None = None
    if background:
        p_bg = positive_proba(model, features(background), corpus.category)
        rate = round(float(np.mean(p_bg >= 0.5)), 4)
        rate_combined = round(float(np.mean(combined(list(background), p_bg))), 4)
    meta = dict(model.meta)
    meta["dev"] = {"precision": precision, "recall": recall, "f1": f1, "n": len(dev)}
    calibration_figures: dict[str, Any] = {"held_out": len(held)}
    if calibration is not None:
        meta["combination"] = calibration.combination.to_meta()
        calibration_figures.update(
            n_gold=calibration.n_gold,
            n_ordinary=calibration.n_ordinary,
            precision=calibration.precision,
            recall=calibration.recall,
            ordinary_rate=calibration.ordinary_rate,
        )
    meta["calibration"] = calibration_figures
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
        calibration=calibration_figures,
        dev_combined=dict(zip(("precision", "recall", "f1"), dev_combined, strict=True)),
        background_rate_combined=rate_combined,
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
    unknown = sorted(set(only) - {d.name for d in CORPORA})
    if unknown:
        names = ", ".join(d.name for d in CORPORA)
        raise RiskTrainingError(f"--only {', '.join(unknown)}: no such risk model (one of {names})")
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
    backgrounds = {lang: ordinary_texts(data_dir, lang, dev=True) for lang in specs}
    held_ordinary = {
        lang: [t for t in ordinary_texts(data_dir, lang, dev=False) if in_calibration(t)]
        for lang in specs
    }
    categories = load_categories()
    intent = IntentModel.load(out_dir)
    negatives = {lang: weak_negatives(lang)(data_dir) for lang in specs}
    generic = {
        lang: generic_columns(ordinary_texts(data_dir, lang, dev=False), specs[lang])
        for lang in specs
    }
    benchmark = benchmark_keys(data_dir)
    reports: list[ModelReport] = []
    for definition in definitions:
        spec = replace(specs[definition.lang], **definition.features)
        if spec != specs[definition.lang]:
            mask = generic_columns(ordinary_texts(data_dir, spec.lang, dev=False), spec)
        else:
            mask = generic[definition.lang]
        try:
            corpus = load_corpus(data_dir, definition, seed)
        except OSError as exc:
            raise RiskTrainingError(f"{definition.name}: cannot read data ({exc})") from exc
        reports.append(
            train_one(
                corpus,
                spec=spec,
                out_dir=out_dir,
                seed=seed,
                extra=by_target.get((definition.category, definition.lang), []),
                background=backgrounds[definition.lang],
                generic=mask,
                calibration_ordinary=held_ordinary[definition.lang],
                categories=categories,
                intent=intent,
                ordinary_negatives=negatives[definition.lang],
                benchmark=benchmark,
            )
        )
    return RiskTrainReport(
        models=tuple(reports),
        seed=seed,
        seconds=round(time.perf_counter() - started, 1),
        total_bytes=sum(r.bytes for r in reports),
        corrections_ignored=ignored,
        feature_specs={lang: s.to_dict() for lang, s in specs.items()},
    )


def evaluate_risk(*, data_dir: Path, models_dir: Path, seed: int = 13) -> dict[str, Any]:
    """Dev-split P/R/F1 of lexicon alone, model alone and both, and firing rates on ordinary
    posts per category (the model card's figures); trains nothing."""
    full = RiskClassifier.load(models_dir=models_dir)
    bare = [replace(c, lexicon={}) for c in full.categories]
    variants = {
        "lexicon": RiskClassifier(categories=full.categories, models=()),
        "model": RiskClassifier(categories=bare, models=full.models),
        "combined": full,
    }
    dev_scores: dict[str, dict[str, Any]] = {}
    for definition in CORPORA:
        _, dev = stratified_split(
            load_corpus(Path(data_dir), definition, seed).examples,
            dev_fraction=DEV_FRACTION,
            seed=seed,
        )
        texts, y = [e.text for e in dev], np.array([e.label for e in dev])
        langs = [definition.lang] * len(texts)
        dev_scores[definition.name] = {}
        for name, classifier in variants.items():
            found = classifier.score(texts, langs)
            pred = np.array([any(c.category == definition.category for c in f) for f in found])
            p, r, f1, _ = _prf(y, pred.astype(np.int64))
            dev_scores[definition.name][name] = {"precision": p, "recall": r, "f1": f1}
    background: dict[str, dict[str, float]] = {}
    for lang in LANGUAGES:
        texts = ordinary_texts(Path(data_dir), lang, dev=True)
        found = full.score(texts, [lang] * len(texts))
        background[lang] = (
            {
                c.name: round(
                    sum(any(x.category == c.name for x in f) for f in found) / len(texts), 4
                )
                for c in full.categories
            }
            if texts
            else {}
        )
    terms = {c.name: {k: len(v) for k, v in c.lexicon.items()} for c in full.categories}
    return {"dev": dev_scores, "background_rate": background, "lexicon_terms": terms}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: train (or ``--evaluate`` the shipped models), print a JSON report."""
    from classifiers.training.risk_data import read_extra_jsonl

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("classifiers/models"))
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--extra", type=Path, help="corrections as JSON lines")
    parser.add_argument("--only", action="append", default=[], help="model name (repeatable)")
    parser.add_argument("--evaluate", action="store_true", help="evaluate --out, train nothing")
    args = parser.parse_args(argv)
    try:
        if args.evaluate:
            init_jieba()
            figures = evaluate_risk(data_dir=args.data, models_dir=args.out, seed=args.seed)
            print(json.dumps(figures, ensure_ascii=False, indent=2))
            return 0
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
