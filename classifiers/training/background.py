"""Ordinary text (posts, news, forum answers) from ../shared/data: the "no risk" side.

Ordinary text serves three times: as weak negatives when training risk models, as the
measure of generic vocabulary (``generic_columns``), and as the false-alarm set of the
detection benchmark. Each text is assigned to one side for good by a
hash of its normalised text (``DEV_SHARE`` of them to dev), so no ordinary text used in
training is ever counted as a false alarm, whatever set it came from.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from classifiers.features import FeatureSpec, extract_terms, term_columns
from classifiers.risk import FeatureCache
from classifiers.text import WEIBO_EMOTICON_RE, clean
from classifiers.training.examples import Example, hash_share
from classifiers.training.sentiment_social import (
    load_financial,
    load_semeval,
    load_smp2020_usual,
)

DEV_SHARE = 0.2
WEAK_WEIGHT = 0.5
# Generic vocabulary: in Chinese, a character n-gram present in at least this share of
# ordinary posts (孩子, 已经, 怎么, 感觉) carries no weight in any risk model, so it can
# neither drive a decision nor be its evidence. English is not pruned: its frequent words
# (my, not, never) carry the first-person and negation signal of complaints (dev F1 0.66 ->
# 0.57 when pruned), and the evidence shown never lists stop words.
GENERIC_DF: dict[str, float] = {"zh": 0.01}
# Languages whose posts carry Weibo's bracket emoticons ([蜡烛], [怒]): see markup_columns.
MARKUP_LANGS = frozenset({"zh"})


def is_dev(text: str) -> bool:
    """True when this ordinary text belongs to the dev side (stable across runs and sets)."""
    return hash_share(text) < DEV_SHARE


def _tweeteval_train(root: Path) -> Iterator[tuple[str, str]]:
    base = root / "sentiment/en/tweeteval"
    for task in ("emotion", "irony"):
        for text in (base / task / "train_text.txt").read_text("utf-8").splitlines():
            yield text, "tweets"


def _english(root: Path) -> Iterator[tuple[str, str]]:
    yield from _tweeteval_train(root)
    for ex in load_semeval(root / "sentiment"):
        yield ex.text, "tweets"
    for ex in load_financial(root / "sentiment"):
        yield ex.text, "news"
    path = root / "intent/en_reddit_coarse_discourse_acts/reddit_sentiment_validation_filtered.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row.get("majority_type") in ("answer", "elaboration", "announcement"):
                yield row.get("body", ""), "forum"


def _chinese(root: Path) -> Iterator[tuple[str, str]]:
    for ex in load_smp2020_usual(root / "sentiment"):
        yield ex.text, "posts"
    path = root / "sentiment/zh/smp2020_ewect_virus/virus_train.txt"
    for item in json.loads(path.read_text("utf-8")):
        if isinstance(item, dict) and item.get("content"):
            yield str(item["content"]), "posts"


READERS: dict[str, Callable[[Path], Iterator[tuple[str, str]]]] = {
    "en": _english,
    "zh": _chinese,
}


def ordinary(root: Path, lang: str, *, dev: bool) -> list[tuple[str, str]]:
    """(text, kind) of ordinary ``lang`` texts on one side of the split; kind is tweets, posts,
    news or forum."""
    return [
        (text, kind)
        for text, kind in READERS[lang](Path(root))
        if text.strip() and is_dev(text) == dev
    ]


def weak_negatives(
    lang: str, *, skip: frozenset[str] = frozenset()
) -> Callable[[Path], list[Example]]:
    """A risk-data reader: the training side of ``lang``'s ordinary text (but the kinds in
    ``skip``) as weak negatives."""

    def read(root: Path) -> list[Example]:
        return [
            Example(text, 0, f"ordinary_{kind}", weight=WEAK_WEIGHT)
            for text, kind in ordinary(root, lang, dev=False)
            if kind not in skip
        ]

    read.__name__ = f"weak_negatives_{lang}"
    return read


def ordinary_texts(root: Path, lang: str, *, dev: bool) -> list[str]:
    """The texts of ``ordinary`` (empty when the data cannot be read)."""
    try:
        return [text for text, _ in ordinary(root, lang, dev=dev)]
    except (OSError, ValueError):
        return []


def generic_columns(texts: Sequence[str], spec: FeatureSpec) -> np.ndarray | None:
    """Boolean mask of the feature columns present in at least GENERIC_DF of ``texts`` (None
    for a language that is not pruned)."""
    share = GENERIC_DF.get(spec.lang)
    if share is None or not texts:
        return None
    cleaned = [clean(t) for t in texts]
    df = np.zeros(spec.n_features)
    for block in FeatureCache(cleaned, [spec.lang] * len(cleaned)).features(spec).hashed:
        x = block.csr()
        x.data[:] = 1.0
        x.sum_duplicates()  # a term repeated in one text counts once
        x.data[:] = 1.0
        df += np.asarray(x.sum(axis=0)).ravel()
    mask: np.ndarray = df >= share * len(texts)
    return mask


def markup_columns(texts: Sequence[str], spec: FeatureSpec) -> np.ndarray:
    """Boolean mask of the feature columns of the platform's reaction markup in ``texts``:
    every word or character n-gram that holds a bracket of a Weibo emoticon ([蜡烛], [怒]).
    Which emoticons a labelled set's posts carry is a trait of how the set was collected (CED
    rumours mourn with [蜡烛]), not of the category, so no risk model weighs them."""
    mask = np.zeros(spec.n_features, dtype=bool)
    for text in texts:
        if not WEIBO_EMOTICON_RE.search(text):
            continue
        terms = extract_terms(text, spec)
        for block, found in (("words", terms.words), ("chars", terms.chars)):
            marked = [t for t in found if "[" in t or "]" in t]
            if marked:
                mask[term_columns(marked, spec, block)[0]] = True
    return mask
