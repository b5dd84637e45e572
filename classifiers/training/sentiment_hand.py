"""Our hand sentiment labels (``sentiment_labels.tsv``) joined to the training split.

They are applied after ``sentiment_data.split_dev``, so every dev set stays exactly the rows
``benchmarks/classify.py`` rebuilds: a labelled text whose copy is in dev is left out (its set
label scores it there); a fixed fifth of the others (by text hash) is held out as the "hand"
dev slice and never trains; the rest train as source ``HAND`` (weight ``HAND_WEIGHT``; the
3-class and polarity models only, not the combiner), replacing every training copy of the
same text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from classifiers.training.hand_labels import HERE, LabelledRow, text_hash
from classifiers.training.sentiment_data import dedup_key
from classifiers.training.sentiment_rows import LABELS, Example

SENTIMENT_LABELS: Path = HERE / "sentiment_labels.tsv"
HAND = "hand"
# A few hundred rows among ~115,000 (zh): at 2 (the reviewers' weight) they moved 9 of 43
# held-out neutral questions to neutral, at 8 15 of 43 (4 before).
HAND_WEIGHT = 8.0
HELD_OUT_ONE_IN = 5


def is_held_out(text: str) -> bool:
    """Whether a hand-labelled text belongs to the held-out slice (stable across runs)."""
    return int(text_hash(text), 16) % HELD_OUT_ONE_IN == 0


@dataclass(frozen=True)
class HandSplit:
    """Training rows with the hand labels applied, the held-out hand rows, and counts."""

    train: list[Example]
    held_out: list[Example]
    trained: int
    in_dev: int


def apply_hand_labels(
    train: Sequence[Example], dev: Sequence[Example], rows: Iterable[LabelledRow]
) -> HandSplit:
    """``train`` with the hand-labelled rows applied (see the module docstring)."""
    dev_keys = {(e.lang, dedup_key(e.text)) for e in dev}
    hand: dict[tuple[str, str], Example] = {}
    held_out: list[Example] = []
    in_dev = 0
    for row in rows:
        key = (row.lang, dedup_key(row.text))
        if row.label not in LABELS or not key[1]:
            continue
        if key in dev_keys:
            in_dev += 1
        elif is_held_out(row.text):
            held_out.append(Example(row.text, row.label, row.lang, HAND))
        else:
            hand[key] = Example(row.text, row.label, row.lang, HAND)
    held_keys = {(e.lang, dedup_key(e.text)) for e in held_out}
    kept = [
        e
        for e in train
        if (e.lang, dedup_key(e.text)) not in hand and (e.lang, dedup_key(e.text)) not in held_keys
    ]
    return HandSplit(kept + list(hand.values()), held_out, len(hand), in_dev)
