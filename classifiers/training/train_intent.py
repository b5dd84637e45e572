"""Train the intent models (interaction / enquiry / complaint / other) per language.

    python -m classifiers.training.train_intent --data ../shared/data --out classifiers/models

Rows come from ``intent_data`` (labels implied by each set's own annotation, plus our hand
labels, which override them) and reviewers' labels from the console (``extra``, which
override both). Deduplicated by normalised text across all sets (conflicting
keys dropped); a stratified 15% dev split per (source, label), seed 13. One multinomial
logistic model (SGD, class- and source-balanced, both by square root) per language over the
sentiment model's feature spec, stored as float16 with its dev scores in the header.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.evaluation import score
from classifiers.intent import IntentModel, intent_from_row
from classifiers.intent_labels import INTENT_LABELS
from classifiers.languages import LANGUAGES
from classifiers.linear import LinearTextModel
from classifiers.risk import FeatureCache
from classifiers.text import clean, detect_lang
from classifiers.training.examples import norm_key
from classifiers.training.hand_labels import text_hash
from classifiers.training.intent_data import (
    READERS,
    IntentExample,
    held_out_keys,
    read_hand_labels,
)
from classifiers.training.train_risk import shared_spec

CORRECTIONS = "corrections"  # the source name of reviewers' labels
DEV_FRACTION = 0.15
HAND_WEIGHT = 3.0
ALPHA = 1e-5  # 2e-6 overfit the few enquiry rows (a huge "?" weight, length-dependent)
EPOCHS = 20
# Classes are balanced by the square root of their weight share, as sentiment's are: full
# balance gave the ~190 Chinese enquiry rows a quarter of all weight and fit their noise
# (dev, full vs sqrt: zh enquiry F1 0.385 / 0.467, macro-F1 0.770 / 0.790; en macro-F1
# 0.758 / 0.760).
CLASS_BALANCE_POWER = 0.5
# Feature rows kept (largest weight over the four classes): the full model is ~7 MB, the
# pruned one under 1 MB.
KEEP_ROWS = 60_000


def corrections(extra: Iterable[tuple[str, str, str]]) -> tuple[list[IntentExample], int]:
    """Reviewers' intent labels (text, label, lang) as examples; how many were unusable
    (unknown label or language, empty text)."""
    out: list[IntentExample] = []
    skipped = 0
    for text, label, lang in extra:
        label = str(label).strip().lower()
        lang = str(lang or "").strip().lower()[:2] or detect_lang(str(text))
        if label not in INTENT_LABELS or lang not in LANGUAGES or not str(text).strip():
            skipped += 1
            continue
        out.append(IntentExample(str(text)[:2000], label, lang, CORRECTIONS, HAND_WEIGHT))
    return out, skipped


def load_examples(
    data_dir: Path, *, extra: Iterable[tuple[str, str, str]] = ()
) -> tuple[list[IntentExample], dict[str, int]]:
    """Every set's rows except the held-out ones (``held_out_keys``), hand labels and
    reviewers' labels applied, deduplicated by normalised text."""
    held = held_out_keys(Path(data_dir))
    rows = [ex for read in READERS for ex in read(Path(data_dir)) if norm_key(ex.text) not in held]
    return merge_examples(rows, extra=extra)


def merge_examples(
    rows: Sequence[IntentExample], *, extra: Iterable[tuple[str, str, str]] = ()
) -> tuple[list[IntentExample], dict[str, int]]:
    """``rows`` deduplicated by normalised text (conflicting keys dropped); a hand label or a
    reviewer's label overrides every other row of its text, the reviewer's last of all."""
    hand = read_hand_labels()
    reviewed, skipped = corrections(extra)
    by_key: dict[str, IntentExample] = {}
    conflicts: set[str] = set()
    stats: Counter[str] = Counter(
        raw=len(rows), corrections=len(reviewed), corrections_skipped=skipped
    )
    for ex in rows:
        key = norm_key(ex.text)
        if not key:
            stats["empty"] += 1
            continue
        label = hand.get(text_hash(ex.text))
        if label is not None:
            ex = IntentExample(ex.text, label, ex.lang, "hand_" + ex.lang, HAND_WEIGHT)
            stats["hand"] += key not in by_key
            by_key[key] = ex
            conflicts.discard(key)
            continue
        seen = by_key.get(key)
        if seen is None:
            by_key[key] = ex
        elif seen.label != ex.label and not seen.source.startswith("hand_"):
            conflicts.add(key)
    for ex in reviewed:  # a person looked at this very text: their answer wins
        key = norm_key(ex.text)
        if key:
            by_key[key] = ex
            conflicts.discard(key)
    for key in conflicts:
        by_key.pop(key, None)
    stats["conflict_keys"] = len(conflicts)
    kept = [ex for ex in by_key.values() if ex.label in INTENT_LABELS]
    stats["kept"] = len(kept)
    return kept, dict(stats)


def split(
    rows: Sequence[IntentExample], seed: int
) -> tuple[list[IntentExample], list[IntentExample]]:
    """Stratified (source, label) dev split with a fixed seed; reviewers' labels only train."""
    strata: dict[tuple[str, str], list[IntentExample]] = defaultdict(list)
    for ex in rows:
        strata[(ex.source, ex.label)].append(ex)
    rng = random.Random(seed)
    train: list[IntentExample] = []
    dev: list[IntentExample] = []
    for key in sorted(strata):
        items = sorted(strata[key], key=lambda e: e.text)
        rng.shuffle(items)
        # reviewers' labels all train, as sentiment's do: they are few, and dev scores stay
        # comparable from one run to the next
        n_dev = 0 if key[0] == CORRECTIONS else round(len(items) * DEV_FRACTION)
        dev.extend(items[:n_dev])
        train.extend(items[n_dev:])
    return train, dev


def _weights(rows: Sequence[IntentExample]) -> np.ndarray:
    """Row weight x source balance (sqrt) x class balance (``CLASS_BALANCE_POWER``), mean 1."""
    per_source = Counter(e.source for e in rows)
    w = np.array([e.weight / np.sqrt(per_source[e.source]) for e in rows])
    y = np.array([e.label for e in rows])
    total = w.sum()
    for label in set(y.tolist()):
        mask = y == label
        w[mask] *= (total / len(set(y.tolist())) / w[mask].sum()) ** CLASS_BALANCE_POWER
    out: np.ndarray = w / w.mean()
    return out


def _features(texts: Sequence[str], spec: Any) -> Any:
    cleaned = [clean(t) for t in texts]
    blocks = [
        b.csr() for b in FeatureCache(cleaned, [spec.lang] * len(texts)).features(spec).hashed
    ]
    return sum(blocks[1:], blocks[0]).tocsr()


def train_language(
    lang: str, train: list[IntentExample], dev: list[IntentExample], *, out_dir: Path, seed: int
) -> dict[str, Any]:
    """Fit, save ``intent_{lang}`` and return its dev report."""
    from sklearn.linear_model import SGDClassifier

    spec = shared_spec(lang, out_dir)
    x = _features([e.text for e in train], spec)
    y = np.array([e.label for e in train])
    clf = SGDClassifier(loss="log_loss", alpha=ALPHA, max_iter=EPOCHS, tol=None, random_state=seed)
    clf.fit(x, y, sample_weight=_weights(train))
    coef = clf.coef_.copy()
    strength = np.abs(coef).max(axis=0)
    if np.count_nonzero(strength) > KEEP_ROWS:
        coef[:, np.argsort(-strength)[KEEP_ROWS:]] = 0.0
    meta = {"kind": "intent", "lang": lang, "seed": seed, "labels": list(INTENT_LABELS)}
    model = LinearTextModel(
        spec=spec,
        classes=[str(c) for c in clf.classes_],
        coef=coef,
        intercept=clf.intercept_,
        meta=meta,
    )
    model.save(out_dir / f"intent_{lang}")
    loaded = IntentModel.load(out_dir)
    feats = FeatureCache([clean(e.text) for e in dev], [lang] * len(dev)).features(spec)
    pred = [intent_from_row(r).label for r in loaded.proba(lang, feats.hashed)]
    gold = [e.label for e in dev]
    report = score(labels=gold, predictions=pred, label_order=INTENT_LABELS).to_dict()
    by_source = {}
    for source in sorted({e.source for e in dev}):
        idx = [i for i, e in enumerate(dev) if e.source == source]
        by_source[source] = {
            "n": len(idx),
            "accuracy": round(sum(pred[i] == gold[i] for i in idx) / len(idx), 4),
        }
    meta["dev"] = {"macro_f1": report["macro_f1"], "n": len(dev)}
    LinearTextModel(
        spec=spec, classes=model.classes, coef=coef, intercept=clf.intercept_, meta=meta
    ).save(out_dir / f"intent_{lang}")
    return {
        "n_train": len(train),
        "train_labels": dict(Counter(y.tolist())),
        "dev": {k: report[k] for k in ("n", "accuracy", "macro_f1", "per_class_f1", "confusion")},
        "dev_by_source": by_source,
    }


def train_intent(
    *, data_dir: Path, out_dir: Path, seed: int = 13, extra: Iterable[tuple[str, str, str]] = ()
) -> dict[str, Any]:
    """Train every language's intent model into ``out_dir``; ``extra`` adds reviewers' labels
    (text, label, lang); return the report."""
    rows, stats = load_examples(data_dir, extra=extra)
    train, dev = split(rows, seed)
    report: dict[str, Any] = {"dedup": stats, "languages": {}}
    for lang in LANGUAGES:
        tr = [e for e in train if e.lang == lang]
        dv = [e for e in dev if e.lang == lang]
        if len({e.label for e in tr}) == len(INTENT_LABELS):
            report["languages"][lang] = train_language(lang, tr, dv, out_dir=out_dir, seed=seed)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: train and print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("classifiers/models"))
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    print(json.dumps(train_intent(data_dir=args.data, out_dir=args.out, seed=args.seed), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
