"""The detection dev set: real labelled risk texts and ordinary texts, per language.

Positives are rows no shipped risk model trained on: the dev side of each risk model's own
split (``risk_data.stratified_split`` with the training seed), sets no risk model reads at
all (FDA recall reasons, CFPB complaints), and CrisisLex dev rows by information type.
Negatives are the dev side of ``background`` (ordinary tweets, posts, news, forum answers).
Each row lists the categories that count as right for it (empty: ordinary text). The set is
deduplicated by normalised text; the first source listed wins a duplicate.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from classifiers.training.background import ordinary
from classifiers.training.examples import norm_key
from classifiers.training.risk_data import (
    CORPORA,
    cfpb_narratives,
    load_corpus,
    read_crisislex,
    stratified_split,
)

SEED = 13
DEV_FRACTION = 0.2  # train_risk.DEV_FRACTION (kept equal by a test)
MAX_PER_SOURCE = 1500
# CrisisLex T26 information types that report harm or damage; "sympathy", "donations" and
# "other useful information" tweets are about the event but report no risk themselves.
CRISIS_TYPES = {
    "Affected individuals": frozenset({"crisis_relevance", "product_safety"}),
    "Infrastructure and utilities": frozenset({"crisis_relevance", "service_outage"}),
    "Caution and advice": frozenset({"crisis_relevance", "product_safety"}),
}
CRISIS = "crisis_relevance"
_MODEL_DEV = {
    "risk_complaint_en": frozenset({"customer_complaint"}),
    "risk_complaint_zh": frozenset({"customer_complaint"}),
    "risk_rumor_en": frozenset({"misinformation_rumor"}),
    "risk_rumor_zh": frozenset({"misinformation_rumor"}),
    "risk_offensive_en": frozenset({"offensive_content"}),
    "risk_offensive_zh": frozenset({"offensive_content"}),
    "risk_spam_en": frozenset({"spam"}),
}


@dataclass(frozen=True)
class DetectionRow:
    """One dev text: language, the categories that count as right (empty: ordinary), origin."""

    text: str
    lang: str
    accepted: frozenset[str]
    source: str
    primary: str = ""  # the category whose per-category figures this row counts in


def _model_dev(root: Path) -> Iterator[DetectionRow]:
    for definition in CORPORA:
        accepted = _MODEL_DEV.get(definition.name)
        if accepted is None:
            continue
        corpus = load_corpus(root, definition, SEED)
        _, dev = stratified_split(corpus.examples, dev_fraction=DEV_FRACTION, seed=SEED)
        for ex in dev:
            if ex.label == 1:
                yield DetectionRow(
                    ex.text, definition.lang, accepted, ex.source, definition.category
                )


def _crisislex_dev(root: Path) -> Iterator[DetectionRow]:
    """CrisisLex T26 rows on the dev side of the crisis model's split, by information type."""
    definition = next(d for d in CORPORA if d.name == "risk_crisis_en")
    corpus = load_corpus(root, definition, SEED)
    _, dev = stratified_split(corpus.examples, dev_fraction=DEV_FRACTION, seed=SEED)
    dev_keys = {norm_key(ex.text) for ex in dev if ex.label == 1}
    types: dict[str, str] = {}
    for path in sorted((root / "risk/crisislex/T26").glob("*-tweets_labeled.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                row = {k.strip(): v for k, v in row.items() if k}
                types[norm_key(row.get("Tweet Text", ""))] = row.get("Information Type", "")
    for ex in read_crisislex(root):
        key = norm_key(ex.text)
        accepted = CRISIS_TYPES.get(types.get(key, ""))
        if accepted and key in dev_keys:
            source = "crisislex_" + types[key].split()[0].lower()
            yield DetectionRow(ex.text, "en", accepted, source, CRISIS)


def _fda(root: Path) -> Iterator[DetectionRow]:
    path = root / "risk/fda_food_recalls/fda_food_enforcement_2020_2024_sample500.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row.get("reason_for_recall", "").strip():
                safety = "product_safety"
                yield DetectionRow(
                    row["reason_for_recall"], "en", frozenset({safety}), "fda_recalls", safety
                )


def _cfpb(root: Path) -> Iterator[DetectionRow]:
    """CFPB complaint narratives on the dev side (no model trains on them)."""
    complaint = "customer_complaint"
    for text in cfpb_narratives(root, dev=True):
        yield DetectionRow(text, "en", frozenset({complaint}), "cfpb", complaint)


def _ordinary(root: Path) -> Iterator[DetectionRow]:
    for lang in ("en", "zh"):
        for text, kind in ordinary(root, lang, dev=True):
            yield DetectionRow(text, lang, frozenset(), f"ordinary_{kind}_{lang}")


def detection_rows(root: Path) -> list[DetectionRow]:
    """The whole dev set, deduplicated, at most MAX_PER_SOURCE rows per source (seeded)."""
    root = Path(root)
    by_source: dict[str, list[DetectionRow]] = {}
    seen: set[str] = set()
    for reader in (_fda, _cfpb, _crisislex_dev, _model_dev, _ordinary):
        for row in reader(root):
            key = norm_key(row.text)
            if key and key not in seen:
                seen.add(key)
                by_source.setdefault(row.source, []).append(row)
    rng = random.Random(SEED)
    out: list[DetectionRow] = []
    for source in sorted(by_source):
        rows = by_source[source]
        if len(rows) > MAX_PER_SOURCE:
            rows = rng.sample(rows, MAX_PER_SOURCE)
        out.extend(rows)
    return out


def benchmark_keys(root: Path) -> frozenset[str]:
    """Normalised keys of every row of the dev set (risk and ordinary texts): no model,
    risk or intent, trains on them."""
    return frozenset(norm_key(r.text) for r in detection_rows(root))
