"""Hand labels: the file format, finding labelled rows again, and joining sentiment labels to
the training split without touching dev."""

from __future__ import annotations

import json
from pathlib import Path

from classifiers.training.hand_labels import (
    CED_COMMENTS,
    LabelledRow,
    labelled_rows,
    read_label_file,
    text_hash,
)
from classifiers.training.sentiment_hand import HAND, apply_hand_labels, is_held_out
from classifiers.training.sentiment_rows import Example


def test_hash_is_of_the_normalised_text() -> None:
    assert text_hash("请问在哪里可以买到？") == text_hash("請問在哪裡可以買到?")
    assert text_hash("Where can I buy it?") == text_hash("where can i buy it")
    assert text_hash("where can i buy it") != text_hash("where can i sell it")
    assert len(text_hash("x")) == 16


def test_label_file_skips_comments_and_a_missing_file_has_no_labels(tmp_path: Path) -> None:
    path = tmp_path / "labels.tsv"
    path.write_text("# a comment\tnot\tread\nabc\tneutral\tced\nbad line\n", "utf-8")
    assert read_label_file(path) == {"abc": "neutral"}
    assert read_label_file(tmp_path / "absent.tsv") == {}


def test_labelled_rows_found_again_by_hash_missing_sets_skipped(tmp_path: Path) -> None:
    ced = tmp_path / CED_COMMENTS
    ced.parent.mkdir(parents=True)
    texts = ["这是真的吗？", "这是真的吗", "转发微博"]  # the first two share a hash
    ced.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), "utf-8")
    rows = list(labelled_rows(tmp_path, {text_hash("这是真的吗"): "enquiry"}))
    assert [(r.text, r.label, r.lang, r.source) for r in rows] == [
        ("这是真的吗？", "enquiry", "zh", "ced_comments")
    ]


def _ex(text: str, label: str) -> Example:
    return Example(text, label, "zh", "smp2020_usual")


def _row(text: str, label: str) -> LabelledRow:
    return LabelledRow(text, label, "zh", "ced_comments")


def _texts(held_out: bool, n: int) -> list[str]:
    out = [t for t in (f"问题{i}是什么？" for i in range(200)) if is_held_out(t) == held_out]
    return out[:n]


def test_hand_sentiment_labels_never_touch_dev() -> None:
    trains, held = _texts(False, 2), _texts(True, 1)
    in_dev = "开发集里的句子吗？"
    train = [_ex(trains[0], "negative"), _ex(held[0], "negative"), _ex("别的句子", "positive")]
    dev = [_ex(in_dev, "negative")]
    rows = [
        _row(trains[0], "neutral"),  # replaces its set copy in training
        _row(trains[1], "neutral"),  # a row no set labels: added
        _row(held[0], "neutral"),  # held out: neither it nor its set copy trains
        _row(in_dev, "neutral"),  # its copy is in dev: left out
        _row("不是标签的行", "maybe"),  # not a sentiment label
    ]
    split = apply_hand_labels(train, dev, rows)
    assert sorted((e.text, e.label, e.source) for e in split.train) == sorted(
        [
            (trains[0], "neutral", HAND),
            (trains[1], "neutral", HAND),
            ("别的句子", "positive", "smp2020_usual"),
        ]
    )
    assert [(e.text, e.label) for e in split.held_out] == [(held[0], "neutral")]
    assert (split.trained, split.in_dev) == (2, 1)

