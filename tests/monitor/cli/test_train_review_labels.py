"""`crisiswatch train` reads the reviewers' labels: sentiment, category and intent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from classifiers.training.intent_data import IntentExample
from classifiers.training.risk_data import ExtraLabel
from classifiers.training.train_intent import merge_examples, split
from config.loader import example_config_path, load_config
from monitor.app import open_app
from monitor.incidents.testing import add_scored_mention
from monitor.review.labels import record_label

T0 = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)
TEXT = "请问澜沐奶粉LK-2611批次的检测结果什么时候公布？"
Seen = Callable[[str, dict[str, Any]], None]


def fake_trainers(monkeypatch: pytest.MonkeyPatch, seen: Seen) -> None:
    """Replace the three trainers by one that reports its name and keyword arguments."""

    def trainer(name: str) -> Callable[..., dict[str, Any]]:
        def train(**kwargs: Any) -> dict[str, Any]:
            seen(name, kwargs)
            return {}
        return train

    for name in ("intent", "sentiment", "risk"):
        module = f"train_{name}"
        monkeypatch.setattr(f"classifiers.training.{module}.{module}", trainer(name))


def test_stored_review_labels_reach_every_trainer(
    crisiswatch: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = example_config_path()
    with open_app(load_config(config)) as app, app.sessions.begin() as session:
        categories = app.incidents.categories
        mention = add_scored_mention(session, text=TEXT, at=T0, lang="zh",
                                     category="product_safety")
        for kind, value in (("intent", "enquiry"), ("sentiment", "neutral"),
                            ("category", "none")):
            record_label(session, mention_id=mention, kind=kind, value=value, by="li.na",
                         now=T0, categories=categories)
    given: dict[str, list[Any]] = {}
    fake_trainers(monkeypatch, lambda name, kwargs: given.update({name: list(kwargs["extra"])}))
    (tmp_path / "data").mkdir()
    result = crisiswatch("-c", str(config), "train", "all", "--data", str(tmp_path / "data"),
                         "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "corrections used: 1 sentiment, 1 risk, 1 intent" in result.output
    assert given["intent"] == [(TEXT, "enquiry", "zh")]
    assert given["sentiment"] == [(TEXT, "neutral", "zh")]
    # "none" says the machine's category does not apply: a negative example of it
    assert given["risk"] == [ExtraLabel(text=TEXT, category="product_safety", label=False,
                                        lang="zh")]
    # and the intent label overrides what a data set implied for the same text
    implied = IntentExample(TEXT, "complaint", "zh", "waimai", 0.5)
    kept, stats = merge_examples([implied], extra=given["intent"])
    assert [(e.text, e.label, e.source) for e in kept] == [(TEXT, "enquiry", "corrections")]
    assert stats["corrections"] == 1


def test_reviewers_intent_labels_all_train() -> None:
    extra = [(f"where can I buy batch {n}?", "enquiry", "en") for n in range(20)]
    implied = [IntentExample(f"post number {n}", "other", "en", "semeval") for n in range(20)]
    kept, _ = merge_examples(implied, extra=extra)
    train, dev = split(kept, 13)
    assert sum(e.source == "corrections" for e in train) == 20
    assert all(e.source != "corrections" for e in dev) and dev  # the others do feed dev


def test_an_unusable_intent_label_is_counted_not_trained() -> None:
    kept, stats = merge_examples([], extra=[("hello there", "praise", "en"), ("", "other", "en"),
                                            ("Where can I buy it?", "enquiry", "")])
    assert [(e.label, e.lang) for e in kept] == [("enquiry", "en")]
    assert stats["corrections_skipped"] == 2


def test_train_all_fits_risk_last_with_a_complete_model_folder(
    crisiswatch: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Risk training reads the sentiment features and the intent gate from --out: they must be
    # there (shipped copies, or this run's) before it starts, and intent must be this run's.
    order: list[tuple[str, bool, bool]] = []

    def seen(name: str, kwargs: dict[str, Any]) -> None:
        out: Path = kwargs["out_dir"]
        order.append((name, (out / "sentiment.json").exists(), any(out.glob("intent_*.npz"))))

    fake_trainers(monkeypatch, seen)
    (tmp_path / "data").mkdir()
    result = crisiswatch("-c", str(example_config_path()), "train", "all", "--no-corrections",
                         "--data", str(tmp_path / "data"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert [name for name, _, _ in order] == ["sentiment", "intent", "risk"]
    assert all(sentiment and intent for _, sentiment, intent in order)
