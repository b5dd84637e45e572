"""Junk text gets no category or intent; positive words about a bad event are not praise."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from classifiers.intent import UNKNOWN_INTENT
from classifiers.irony import irony_marker, read_irony
from classifiers.junk import junk_reason
from classifiers.risk_lexicon import CategoryScore
from classifiers.scorer import ScoreInput, Scorer
from classifiers.sentiment import SentimentResult
from classifiers.text import clean


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Lumina Dairy " + "A" * 60, "repeated characters"),
        ("a" * 100_000, "repeated characters"),
        ("!!!! ???? ### $$$", "no words"),
        ("buy " * 30, "repeated words"),
        ("哈" * 40, "repeated characters"),
    ],
)
def test_junk_is_named(text: str, reason: str) -> None:
    assert junk_reason(clean(text)) == reason


@pytest.mark.parametrize(
    "text",
    [
        "Lumina Dairy recalled its formula!!!!!!!!",
        "哈哈哈，太好喝了",
        "😡😡😡",
        "Sooooo good",
        "ok",
    ],
)
def test_real_text_is_not_junk(text: str) -> None:
    assert junk_reason(clean(text)) is None


def _sentiment(pos: float, neg: float) -> SentimentResult:
    probs = {"positive": pos, "neutral": 1 - pos - neg, "negative": neg}
    label = max(probs, key=lambda k: probs[k])
    return SentimentResult(label, MappingProxyType(probs), "en")


def test_positive_about_a_bad_event_is_flipped() -> None:
    recall = CategoryScore("product_safety", 0.7, 5, ("recall",), "lexicon")
    got = read_irony(_sentiment(0.8, 0.1), [recall], text="great", events={"product_safety"})
    assert got.label == "negative" and got.probs["negative"] == pytest.approx(0.8)
    spam = CategoryScore("spam", 0.9, 1, ("dm me",), "lexicon")
    kept = _sentiment(0.8, 0.1)
    assert read_irony(kept, [spam], text="great", events={"product_safety"}) is kept


def test_eye_roll_marks_irony_but_negative_stays() -> None:
    assert irony_marker("Oh great 🙄") and irony_marker("真棒呵呵") and not irony_marker("great")
    neg = _sentiment(0.1, 0.8)
    assert read_irony(neg, [], text="🙄", events=set()) is neg


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer.load()


def test_scorer_junk_has_no_category_intent_or_grade(scorer: Scorer) -> None:
    for text in ("Lumina Dairy " + "A" * 5000, "z" * 100_000, "%%%% ^^^^"):
        score = scorer.score([ScoreInput(text=text, source_tier=1, author_reach=10**6)])[0]
        assert score.categories == () and score.intent == UNKNOWN_INTENT
        assert score.grade == "none" and "junk text" in score.reasons[0]


@pytest.mark.parametrize(
    "text",
    [
        "Oh great, another Lumina Dairy recall… 🙄",
        "my baby loved throwing up all night. Best formula ever!!",
    ],
)
def test_sarcasm_is_not_positive(scorer: Scorer, text: str) -> None:
    score = scorer.score([ScoreInput(text=text)])[0]
    assert score.sentiment.label != "positive"
    assert score.intent.label != "interaction"


def test_a_reported_bad_event_is_not_neutral() -> None:
    glass = CategoryScore("product_safety", 0.75, 5, ("glass in",), "lexicon")
    flat = _sentiment(0.1, 0.35)
    got = read_irony(flat, [glass], text="found glass in it", events={"product_safety"})
    assert got.label == "negative"
    assert got.probs["negative"] == pytest.approx(0.35 + 0.55 / 2)
    assert sum(got.probs.values()) == pytest.approx(1.0)
    assert read_irony(flat, [], text="found glass in it", events={"product_safety"}) is flat


def test_a_shifted_report_where_positive_still_leads_is_flipped() -> None:
    glass = CategoryScore("product_safety", 0.79, 5, ("shards",), "lexicon")
    flat = _sentiment(0.38, 0.13)  # neutral 0.49: after the shift positive still leads
    got = read_irony(flat, [glass], text="found shards", events={"product_safety"})
    assert got.label == "negative" and got.probs["positive"] < got.probs["negative"]
