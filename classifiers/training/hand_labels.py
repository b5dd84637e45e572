"""Labels we gave real rows of ../shared/data by reading them: the file format and the rows.

A hand-label file (``intent_labels.tsv``, ``sentiment_labels.tsv`` beside this module) holds
``hash<TAB>label<TAB>set`` lines and ``#`` comments: the hash is ``text_hash`` of the row's text
(SHA-1 of ``examples.norm_key``, 16 hex digits), so no text is committed. ``labelled_rows``
finds the texts again by reading the sets the rows were drawn from (training sides only: no
file named test is read) and yields those whose hash has a label.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from classifiers.training.examples import norm_key
from classifiers.training.sentiment_data import (
    load_airline,
    load_chnsenticorp,
    load_online_shopping,
    load_smp2020,
    load_waimai,
    load_weibo_senti,
)
from classifiers.training.sentiment_social import (
    load_apple,
    load_sanders,
    load_semeval,
    load_smp2020_usual,
    load_sxsw,
    load_tse,
)

HERE = Path(__file__).resolve().parent
REDDIT_VALIDATION = (
    "intent/en_reddit_coarse_discourse_acts/reddit_sentiment_validation_filtered.csv"
)
CED_COMMENTS = "risk/weibo_rumor_CED/ced_reposts_comments_sample20.jsonl"


def text_hash(text: str) -> str:
    """The key a hand label is stored under: SHA-1 of the normalised text, 16 hex digits."""
    return hashlib.sha1(norm_key(text).encode("utf-8")).hexdigest()[:16]


def read_label_file(path: Path) -> dict[str, str]:
    """text hash -> label from a hand-label file; a missing file has no labels."""
    out: dict[str, str] = {}
    if not path.exists():
        return out
    for line in path.read_text("utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and not line.startswith("#"):
            out[parts[0]] = parts[1]
    return out


@dataclass(frozen=True)
class LabelledRow:
    """One row of a shared set that a hand label names."""

    text: str
    label: str
    lang: str
    source: str


def _ced(root: Path) -> Iterator[str]:
    with (root / CED_COMMENTS).open(encoding="utf-8") as fh:
        for line in fh:
            yield str(json.loads(line).get("text", ""))


def _reddit(root: Path) -> Iterator[str]:
    # the same text intent_data.read_reddit trains on (the validation file, first 2000 chars)
    with (root / REDDIT_VALIDATION).open(encoding="utf-8-sig", errors="replace") as fh:
        for row in csv.DictReader(fh):
            yield (row.get("body") or "")[:2000]


def _texts(loader: Callable[[Path], Iterable[object]]) -> Callable[[Path], Iterator[str]]:
    def read(root: Path) -> Iterator[str]:
        for ex in loader(root / "sentiment"):
            yield str(getattr(ex, "text", ""))

    return read


# (source name, language, reader of its texts): every set hand labels were drawn from.
SETS: tuple[tuple[str, str, Callable[[Path], Iterator[str]]], ...] = (
    ("ced_comments", "zh", _ced),
    ("smp2020_usual", "zh", _texts(load_smp2020_usual)),
    ("smp2020", "zh", _texts(load_smp2020)),
    ("waimai", "zh", _texts(load_waimai)),
    ("online_shopping", "zh", _texts(load_online_shopping)),
    ("chnsenticorp", "zh", _texts(load_chnsenticorp)),
    ("weibo_senti", "zh", _texts(load_weibo_senti)),
    ("tse", "en", _texts(load_tse)),
    ("semeval", "en", _texts(load_semeval)),
    ("airline", "en", _texts(load_airline)),
    ("sxsw", "en", _texts(load_sxsw)),
    ("apple", "en", _texts(load_apple)),
    ("sanders", "en", _texts(load_sanders)),
    ("reddit_acts", "en", _reddit),
)


def labelled_rows(root: Path, labels: Mapping[str, str]) -> Iterator[LabelledRow]:
    """Each distinct text of the hand-labelled sets whose hash has a label (first copy); a set
    missing from ``root`` gives nothing (sentiment training runs without some sets)."""
    seen: set[str] = set()
    for source, lang, read in SETS:
        try:
            texts = list(read(root))
        except FileNotFoundError:
            continue
        for text in texts:
            key = text_hash(text)
            if key in labels and key not in seen:
                seen.add(key)
                yield LabelledRow(text, labels[key], lang, source)
