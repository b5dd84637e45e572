"""Evaluation metrics and labelled-file reading."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from classifiers.evaluation import LabelledFileError, evaluate, read_labelled_file, score


def test_scores_match_hand_computation() -> None:
    gold = ["pos", "pos", "neg", "neg", "neu", "neu"]
    pred = ["pos", "neg", "neg", "neg", "neu", "pos"]
    rep = score(labels=gold, predictions=pred, label_order=["pos", "neu", "neg"])
    assert rep.accuracy == pytest.approx(4 / 6)
    # pos: tp1 fp1 fn1 -> 0.5; neu: tp1 fp0 fn1 -> 2/3; neg: tp2 fp1 fn0 -> 0.8
    assert rep.per_class_f1 == pytest.approx({"pos": 0.5, "neu": 2 / 3, "neg": 0.8})
    assert rep.macro_f1 == pytest.approx((0.5 + 2 / 3 + 0.8) / 3)
    assert rep.labels == ("pos", "neu", "neg")
    assert rep.confusion == ((1, 0, 1), (1, 1, 0), (0, 0, 2))
    assert rep.support == {"pos": 2, "neu": 2, "neg": 2}


def test_prediction_only_labels_are_columns_not_in_macro() -> None:
    rep = score(labels=["a", "b"], predictions=["a", "unknown"])
    assert rep.labels == ("a", "b", "unknown")
    assert set(rep.per_class_f1) == {"a", "b"}
    assert rep.confusion[1] == (0, 0, 1)


def test_evaluate_calls_predict_once_and_formats() -> None:
    calls: list[int] = []

    def predict(texts: Sequence[str]) -> list[str]:
        calls.append(len(texts))
        return ["x" if "x" in t else "y" for t in texts]

    rep = evaluate(predict=predict, texts=["x1", "y1", "x2"], labels=["x", "y", "y"])
    assert calls == [3]
    text = rep.format_text()
    assert "macro-F1" in text and "confusion" in text
    d = rep.to_dict()
    assert json.loads(json.dumps(d))["n"] == 3


def test_evaluate_rejects_length_mismatch() -> None:
    with pytest.raises(ValueError, match="2 texts but 1 labels"):
        evaluate(predict=lambda t: list(t), texts=["a", "b"], labels=["a"])


def test_empty_input() -> None:
    rep = score(labels=[], predictions=[])
    assert rep.n == 0 and rep.accuracy == 0.0 and rep.macro_f1 == 0.0


def test_read_csv_with_alternative_columns(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text('Content,Sentiment\n"hello, world",positive\n坏,negative\n', "utf-8")
    assert read_labelled_file(p) == (["hello, world", "坏"], ["positive", "negative"])


def test_read_tsv(tmp_path: Path) -> None:
    p = tmp_path / "d.tsv"
    p.write_text("label\ttext\nneutral\tok then\n", "utf-8")
    assert read_labelled_file(p) == (["ok then"], ["neutral"])


def test_read_jsonl(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_text('{"text": "a", "label": "x"}\n\n{"review": "b", "label": "y"}\n', "utf-8")
    assert read_labelled_file(p) == (["a", "b"], ["x", "y"])


def test_missing_label_column_is_named(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("text,score\nhi,3\n", "utf-8")
    with pytest.raises(LabelledFileError, match="no label column.*found text, score"):
        read_labelled_file(p)


def test_missing_text_column_in_jsonl_names_line_file(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_text('{"body2": "a", "label": "x"}\n', "utf-8")
    with pytest.raises(LabelledFileError, match="no text column"):
        read_labelled_file(p)


def test_bad_json_line_is_located(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_text('{"text": "a", "label": "x"}\n{oops\n', "utf-8")
    with pytest.raises(LabelledFileError, match=r"d.jsonl:2"):
        read_labelled_file(p)


def test_empty_label_is_located(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("text,label\na,x\nb,\n", "utf-8")
    with pytest.raises(LabelledFileError, match=r"d.csv:3"):
        read_labelled_file(p)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LabelledFileError, match="cannot read"):
        read_labelled_file(tmp_path / "nope.csv")


def test_not_utf8(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_bytes("text,label\n坏,negative\n".encode("gbk"))
    with pytest.raises(LabelledFileError, match="not UTF-8"):
        read_labelled_file(p)
