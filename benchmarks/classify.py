"""Sentiment and scorer benchmark: ours vs SnowNLP (zh) and VADER (en) on the dev splits.

One process, pinned to one core, BLAS threads = 1. Prints JSON. Needs ../shared/data. Speed is
texts per CPU-second of this process (``time.process_time``); the full scorer (sentiment +
intent + categories + matrix) and our batched sentiment are measured next to VADER in the
same run, with the ratio. Per dev set, macro-F1 is taken over the classes that set labels
(binary review sets: positive and negative), the same way for every system.

    python benchmarks/classify.py [--data ../shared/data] [--models classifiers/models]

The dev splits are rebuilt exactly as the training recipe builds them (same dedup, same seed).
SnowNLP gives P(positive); its 3-class thresholds (negative below lo, positive above hi) are
chosen by grid search on a separate slice: SMP2020 posts from the *training* side of the
split, never the dev posts. VADER uses its standard compound thresholds (+-0.05).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifiers.evaluation import score  # noqa: E402
from classifiers.scorer import ScoreInput, Scorer  # noqa: E402
from classifiers.sentiment import LABELS, SentimentModel  # noqa: E402
from classifiers.training.sentiment_data import (  # noqa: E402
    deduplicate,
    load_sources,
    split_dev,
)
from classifiers.training.sentiment_rows import Example  # noqa: E402

SEED = 13
THRESHOLD_SLICE = 1500
BATCH = 512


def pin_one_core() -> int | None:
    """Restrict this process to a single CPU; return it (None where unsupported)."""
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return cpu
    return None


def scores(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 and per-class F1 over the sentiment classes present in ``gold``."""
    order = [lab for lab in LABELS if lab in set(gold)]
    rep = score(labels=list(gold), predictions=list(pred), label_order=order).to_dict()
    return {k: rep[k] for k in ("n", "accuracy", "macro_f1", "per_class_f1", "confusion", "labels")}


def speed(
    one: Callable[[str], object], batch: Callable[[list[str]], object], texts: list[str]
) -> dict[str, float]:
    """Texts per second, one call per text and in batches of BATCH.

    Wall-clock rates suffer when other processes share the core; the CPU-time rates
    (``time.process_time``, this process only) are the per-core figures to compare.
    """
    w0, c0 = time.perf_counter(), time.process_time()
    for t in texts:
        one(t)
    w1, c1 = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), BATCH):
        batch(texts[i : i + BATCH])
    w2, c2 = time.perf_counter(), time.process_time()
    n = len(texts)
    return {
        "texts_per_s_one": round(n / (w1 - w0), 1),
        "texts_per_s_batched": round(n / (w2 - w1), 1),
        "texts_per_cpu_s_one": round(n / max(c1 - c0, 1e-9), 1),
        "texts_per_cpu_s_batched": round(n / max(c2 - c1, 1e-9), 1),
    }


def by_source(dev: list[Example], preds: list[str]) -> dict[str, Any]:
    """Scores for each dev source and for all of them together."""
    out: dict[str, Any] = {}
    for src in sorted({e.source for e in dev}):
        idx = [i for i, e in enumerate(dev) if e.source == src]
        out[src] = scores([dev[i].label for i in idx], [preds[i] for i in idx])
    out["all"] = scores([e.label for e in dev], preds)
    return out


def snownlp_thresholds(values: list[float], gold: list[str]) -> tuple[float, float, float]:
    """Grid-search (lo, hi) maximising macro-F1; returns (lo, hi, macro-F1 on that slice)."""
    best = (0.0, 0.0, -1.0)
    grid = [i / 20 for i in range(1, 20)]
    for lo in grid:
        for hi in grid:
            if hi <= lo:
                continue
            pred = [snow_label(v, lo, hi) for v in values]
            f1 = score(labels=gold, predictions=pred, label_order=LABELS).macro_f1
            if f1 > best[2]:
                best = (lo, hi, f1)
    return best


def snow_label(v: float, lo: float, hi: float) -> str:
    """Three classes from SnowNLP's P(positive)."""
    return "negative" if v < lo else "positive" if v > hi else "neutral"


def run(data_dir: Path, models_dir: Path | None) -> dict[str, Any]:
    """Run every comparison and return the JSON-ready result."""
    cpu = pin_one_core()
    examples, missing = load_sources(data_dir)
    kept, stats = deduplicate(examples)
    train, dev = split_dev(kept, seed=SEED)
    result: dict[str, Any] = {
        "cpu": cpu,
        "dedup": {
            "raw": stats.raw,
            "after_dedup": stats.after_dedup,
            "conflict_keys": stats.conflict_keys,
        },
        "missing_sources": missing,
    }

    t0, c0 = time.perf_counter(), time.process_time()
    model = SentimentModel.load(models_dir)
    load_s, load_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    model.predict_one("第一条中文", "zh")  # the shipped zh models use characters: no jieba
    first_zh_s = time.perf_counter() - t0
    result["ours_load_seconds"] = round(load_s, 3)
    result["ours_load_cpu_seconds"] = round(load_cpu, 3)
    result["load_average_1min"] = round(os.getloadavg()[0], 2)
    result["ours_first_zh_call_seconds"] = round(first_zh_s, 3)

    for lang in ("zh", "en"):
        dv = [e for e in dev if e.lang == lang]
        texts = [e.text for e in dv]
        res = model.predict(texts)
        preds = [r.label for r in res]
        ours: dict[str, Any] = {
            "scores": by_source(dv, preds),
            "unknown": sum(1 for p in preds if p == "unknown"),
            "detected_lang_other": sum(1 for r in res if r.lang != lang),
        }
        ours["speed_auto_lang"] = speed(
            lambda t: model.predict_one(t), lambda b: model.predict(b), texts
        )
        result[f"{lang}_ours"] = ours
        result[f"{lang}_n_dev"] = len(dv)

    result["zh_snownlp"] = bench_snownlp(train, [e for e in dev if e.lang == "zh"])
    result["en_vader"] = bench_vader([e for e in dev if e.lang == "en"])
    result["scorer_speed"] = bench_scorer(
        {lang: [e.text for e in dev if e.lang == lang] for lang in ("zh", "en")}, models_dir
    )
    return result


def _score_as(scorer: Scorer, lang: str, texts: list[str]) -> object:
    return scorer.score([ScoreInput(text=t, lang=lang) for t in texts])


def _sentiment_as(scorer: Scorer, lang: str, texts: list[str]) -> object:
    return scorer.sentiment.predict(texts, [lang] * len(texts))


def _cpu_rate(run_batches: Callable[[list[str]], object], texts: list[str]) -> float:
    """Texts per CPU-second, in batches of BATCH (best of two passes: the first warms up)."""
    best = 0.0
    for _ in range(2):
        c0 = time.process_time()
        for i in range(0, len(texts), BATCH):
            run_batches(texts[i : i + BATCH])
        best = max(best, len(texts) / max(time.process_time() - c0, 1e-9))
    return round(best, 1)


def bench_scorer(texts: dict[str, list[str]], models_dir: Path | None) -> dict[str, Any]:
    """The full scorer per language (language given, as the pipeline does, and detected),
    our batched sentiment, and VADER on the same English texts in the same run."""
    from classifiers.text import jieba_loaded

    c0 = time.process_time()
    scorer = Scorer.load(models_dir=models_dir)
    out: dict[str, Any] = {"load_cpu_seconds": round(time.process_time() - c0, 3)}
    scorer.score([ScoreInput(text="an English text, scored first")])
    out["jieba_loaded_after_english_text"] = jieba_loaded()
    for lang in ("en", "zh"):
        sample = texts[lang]
        out[lang] = {
            "n": len(sample),
            "full_scorer_lang_given": _cpu_rate(
                partial(_score_as, scorer, lang), sample
            ),
            "full_scorer_lang_detected": _cpu_rate(
                lambda b: scorer.score([ScoreInput(text=t) for t in b]), sample
            ),
            "sentiment_only": _cpu_rate(partial(_sentiment_as, scorer, lang), sample),
        }
    out["jieba_loaded_after_chinese_text"] = jieba_loaded()
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return out
    analyzer = SentimentIntensityAnalyzer()
    vader = _cpu_rate(lambda b: [analyzer.polarity_scores(t) for t in b], texts["en"])
    out["en"]["vader"] = vader
    out["en"]["sentiment_vs_vader"] = round(out["en"]["sentiment_only"] / vader, 2)
    out["en"]["full_scorer_vs_vader"] = round(out["en"]["full_scorer_lang_given"] / vader, 2)
    return out


def bench_snownlp(train: list[Example], dev: list[Example]) -> dict[str, Any]:
    """SnowNLP on zh dev with thresholds tuned on a separate SMP2020 training slice."""
    try:
        t0 = time.perf_counter()
        from snownlp import SnowNLP

        SnowNLP("预热").sentiments  # noqa: B018 - loads its model
        load_s = time.perf_counter() - t0
    except ImportError:
        return {"skipped": "snownlp not installed"}

    def prob(text: str) -> float:
        return float(SnowNLP(text).sentiments) if text.strip() else 0.5

    rng = random.Random(SEED)
    pool = sorted((e for e in train if e.source == "smp2020"), key=lambda e: e.text)
    rng.shuffle(pool)
    tune = pool[:THRESHOLD_SLICE]
    lo, hi, tune_f1 = snownlp_thresholds([prob(e.text) for e in tune], [e.label for e in tune])
    texts = [e.text for e in dev]
    values = [prob(t) for t in texts]
    preds = [snow_label(v, lo, hi) for v in values]
    rates = speed(prob, lambda b: [prob(t) for t in b], texts)
    return {
        "thresholds": {
            "negative_below": lo,
            "positive_above": hi,
            "tuned_on": f"{len(tune)} SMP2020 posts from the training side",
            "macro_f1_on_tuning_slice": round(tune_f1, 4),
        },
        "scores": by_source(dev, preds),
        "load_seconds": round(load_s, 3),
        "speed": {**rates, "note": "no batch API; batched = a loop"},
    }


def bench_vader(dev: list[Example]) -> dict[str, Any]:
    """VADER on en dev with the standard compound thresholds."""
    try:
        t0 = time.perf_counter()
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        analyzer = SentimentIntensityAnalyzer()
        load_s = time.perf_counter() - t0
    except ImportError:
        return {"skipped": "vaderSentiment not installed"}

    def label(text: str) -> str:
        c = analyzer.polarity_scores(text)["compound"]
        return "positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral"

    texts = [e.text for e in dev]
    preds = [label(t) for t in texts]
    rates = speed(label, lambda b: [label(t) for t in b], texts)
    return {
        "thresholds": {"positive": ">= 0.05", "negative": "<= -0.05"},
        "scores": by_source(dev, preds),
        "load_seconds": round(load_s, 3),
        "speed": {**rates, "note": "no batch API; batched = a loop"},
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "data")
    parser.add_argument("--models", type=Path, default=None)
    args = parser.parse_args(argv)
    if not (args.data / "sentiment").is_dir():
        print(json.dumps({"error": f"{args.data / 'sentiment'} not found"}))
        return 2
    warnings.filterwarnings("ignore")
    print(json.dumps(run(args.data, args.models), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
