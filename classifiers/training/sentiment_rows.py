"""The shared shapes of sentiment training rows: labels, the Example row, CSV reading."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LABELS = ("negative", "neutral", "positive")
# SMP2020-EWECT emotions. "surprise" posts are mostly shock at bad news in this corpus
# ("卧槽，刚刚还是9个", "武汉封城???"): a model trained without them labels 71% of the 173
# deduplicated surprise posts negative, 21% neutral, 8% positive, so they map to negative.
SMP_EMOTIONS = {
    "happy": "positive",
    "angry": "negative",
    "sad": "negative",
    "fear": "negative",
    "surprise": "negative",
    "neutral": "neutral",
}
MAX_TEXT = 2000


class SentimentDataError(ValueError):
    """A sentiment data file is malformed (names the file and line)."""


@dataclass(frozen=True)
class Example:
    """One labelled text with its origin."""

    text: str
    label: str
    lang: str
    source: str


def csv_rows(path: Path, delimiter: str = ",") -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of a CSV file with a header, BOM tolerated."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)
        for row in reader:
            yield reader.line_num, {k: (v or "") for k, v in row.items() if k is not None}
