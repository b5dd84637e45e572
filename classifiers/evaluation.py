"""Evaluate any label predictor on labelled text: accuracy, macro-F1, per-class F1, confusions."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TEXT_COLUMNS = ("text", "content", "review", "sentence", "tweet", "body", "message")
LABEL_COLUMNS = ("label", "sentiment", "class", "category", "target", "airline_sentiment")
MAX_FILE_BYTES = 200 * 1024 * 1024
_MAX_FIELD = 100_000


class LabelledFileError(ValueError):
    """A labelled evaluation file is unreadable or lacks a text/label column."""


@dataclass(frozen=True)
class EvalReport:
    """Scores of one predictor on one labelled set."""

    n: int
    accuracy: float
    macro_f1: float
    per_class_f1: dict[str, float]
    support: dict[str, int]
    labels: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]  # rows = true label, columns = predicted label

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "per_class_f1": {k: round(v, 4) for k, v in self.per_class_f1.items()},
            "support": dict(self.support),
            "labels": list(self.labels),
            "confusion": [list(r) for r in self.confusion],
        }

    def format_text(self) -> str:
        """Human-readable summary with the confusion matrix."""
        lines = [
            f"n={self.n}  accuracy={self.accuracy:.4f}  macro-F1={self.macro_f1:.4f}",
            "per-class F1: "
            + ", ".join(f"{k}={v:.4f} (n={self.support[k]})" for k, v in self.per_class_f1.items()),
            "confusion (rows = true, columns = predicted):",
        ]
        width = max([len(lab) for lab in self.labels] + [6])
        lines.append(" " * (width + 2) + " ".join(f"{lab:>{width}}" for lab in self.labels))
        for lab, row in zip(self.labels, self.confusion, strict=True):
            lines.append(f"{lab:>{width}}  " + " ".join(f"{v:>{width}}" for v in row))
        return "\n".join(lines)


def evaluate(
    *,
    predict: Callable[[Sequence[str]], Sequence[str]],
    texts: Sequence[str],
    labels: Sequence[str],
    label_order: Sequence[str] | None = None,
) -> EvalReport:
    """Run ``predict`` on ``texts`` in one batch and score it against ``labels``."""
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    preds = [str(p) for p in predict(list(texts))]
    if len(preds) != len(texts):
        raise ValueError(f"predict returned {len(preds)} labels for {len(texts)} texts")
    return score(labels=[str(x) for x in labels], predictions=preds, label_order=label_order)


def score(
    *, labels: Sequence[str], predictions: Sequence[str], label_order: Sequence[str] | None = None
) -> EvalReport:
    """Score predictions against gold labels (macro-F1 over the gold label set)."""
    gold_set = list(dict.fromkeys([*(label_order or ()), *sorted(set(labels))]))
    extra = sorted(set(predictions) - set(gold_set))
    order = gold_set + extra  # predicted-only labels appear as columns, not in macro-F1
    pos = {lab: i for i, lab in enumerate(order)}
    matrix = [[0] * len(order) for _ in order]
    for g, p in zip(labels, predictions, strict=True):
        matrix[pos[g]][pos[p]] += 1
    n = len(labels)
    correct = sum(matrix[i][i] for i in range(len(order)))
    f1: dict[str, float] = {}
    support: dict[str, int] = {}
    for lab in gold_set:
        i = pos[lab]
        tp = matrix[i][i]
        row_sum = sum(matrix[i])
        col_sum = sum(r[i] for r in matrix)
        support[lab] = row_sum
        denom = row_sum + col_sum
        f1[lab] = 2 * tp / denom if denom else 0.0
    macro = sum(f1.values()) / len(f1) if f1 else 0.0
    return EvalReport(
        n=n,
        accuracy=correct / n if n else 0.0,
        macro_f1=macro,
        per_class_f1=f1,
        support=support,
        labels=tuple(order),
        confusion=tuple(tuple(r) for r in matrix),
    )


def _pick(columns: Sequence[str], wanted: Sequence[str], kind: str, path: Path) -> str:
    lowered = {c.strip().lower(): c for c in columns}
    for name in wanted:
        if name in lowered:
            return lowered[name]
    raise LabelledFileError(
        f"{path}: no {kind} column (looked for {', '.join(wanted)}; found {', '.join(columns)})"
    )


def read_labelled_file(path: Path) -> tuple[list[str], list[str]]:
    """Read texts and labels from a CSV/TSV (header row) or JSONL file with text,label fields."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LabelledFileError(f"{path}: cannot read ({exc.strerror})") from exc
    if size > MAX_FILE_BYTES:
        raise LabelledFileError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return _read_jsonl(path)
    return _read_csv(path)


def _read_csv(path: Path) -> tuple[list[str], list[str]]:
    csv.field_size_limit(_MAX_FIELD)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            sample = fh.read(8192)
            fh.seek(0)
            delimiter = (
                "\t"
                if path.suffix.lower() == ".tsv"
                or ("\t" in sample.split("\n", 1)[0] and "," not in sample.split("\n", 1)[0])
                else ","
            )
            reader = csv.DictReader(fh, delimiter=delimiter)
            columns = list(reader.fieldnames or [])
            if not columns:
                raise LabelledFileError(f"{path}: empty file or no header row")
            tcol = _pick(columns, TEXT_COLUMNS, "text", path)
            lcol = _pick(columns, LABEL_COLUMNS, "label", path)
            texts: list[str] = []
            labels: list[str] = []
            for row in reader:
                label = (row.get(lcol) or "").strip()
                if not label:
                    raise LabelledFileError(f"{path}:{reader.line_num}: empty {lcol!r}")
                texts.append(row.get(tcol) or "")
                labels.append(label)
    except UnicodeDecodeError as exc:
        raise LabelledFileError(f"{path}: not UTF-8 ({exc.reason})") from exc
    except csv.Error as exc:
        raise LabelledFileError(f"{path}: malformed CSV ({exc})") from exc
    return texts, labels


def _read_jsonl(path: Path) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    try:
        with path.open(encoding="utf-8-sig") as fh:
            for n, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                except json.JSONDecodeError as exc:
                    raise LabelledFileError(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
                if not isinstance(obj, dict):
                    raise LabelledFileError(f"{path}:{n}: expected a JSON object per line")
                tcol = _pick(list(obj), TEXT_COLUMNS, "text", path)
                lcol = _pick(list(obj), LABEL_COLUMNS, "label", path)
                texts.append(str(obj[tcol] or ""))
                label = str(obj[lcol]).strip()
                if not label:
                    raise LabelledFileError(f"{path}:{n}: empty {lcol!r}")
                labels.append(label)
    except UnicodeDecodeError as exc:
        raise LabelledFileError(f"{path}: not UTF-8 ({exc.reason})") from exc
    return texts, labels
