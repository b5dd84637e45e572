"""Sentiment in the context of a reported bad event: sarcasm is not praise, harm is not neutral.

``Oh great, another recall 🙄`` and ``my baby loved throwing up all night. Best formula
ever!!`` are read as positive by any bag-of-words model. The incongruity is the signal: when
the sentiment model says positive but the text reports a negative event (a category whose
spec has ``negative_event``) or carries an eye-roll marker, the positive and negative
probabilities are swapped, so the confidence is kept and only its direction changes; the
intent's interaction and complaint probabilities are swapped with it (sarcastic praise is a
complaint). A report of a bad event read as neutral ("found glass in the formula", "factory
fire, many injured": flat wording, so little polar evidence) moves half of its neutral
probability to negative first; if positive still leads, it is flipped as above.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from types import MappingProxyType

from classifiers.intent import Intent
from classifiers.risk_lexicon import CategoryScore
from classifiers.sentiment import SentimentResult

# Eye-roll and facepalm emoji, the upside-down smile, Weibo's eye-roll emoticon, 呵呵 (a
# dismissive laugh in Chinese online writing) and the "/s" sarcasm tag.
_MARKER_RE = re.compile(
    "[\U0001f644\U0001f612\U0001f926\U0001f643\U0001f611]|\\[白眼\\]|呵呵|(?<!\\w)/s\\b"
)


def irony_marker(text: str) -> bool:
    """True when the text carries an explicit sarcasm marker."""
    return _MARKER_RE.search(text) is not None


def read_irony(
    sentiment: SentimentResult,
    categories: Sequence[CategoryScore],
    *,
    text: str,
    events: Collection[str],
) -> SentimentResult:
    """``sentiment`` read in the context of the reported events (see the module docstring)."""
    event = any(c.category in events for c in categories)
    if sentiment.label == "neutral" and event:
        moved = dict(sentiment.probs)
        half = float(moved.get("neutral", 0.0)) / 2
        moved["neutral"], moved["negative"] = half, float(moved.get("negative", 0.0)) + half
        label = max(moved, key=lambda k: moved[k])
        sentiment = SentimentResult(label, MappingProxyType(moved), sentiment.lang)
    probs = sentiment.probs
    pos, neg = float(probs.get("positive", 0.0)), float(probs.get("negative", 0.0))
    if sentiment.label != "positive" or pos <= neg or not (event or irony_marker(text)):
        return sentiment
    flipped = dict(probs)
    flipped["positive"], flipped["negative"] = neg, pos
    return SentimentResult("negative", MappingProxyType(flipped), sentiment.lang)


def ironic_intent(intent: Intent) -> Intent:
    """``intent`` with interaction and complaint swapped (for a text read as ironic)."""
    probs = dict(intent.probs)
    if "interaction" not in probs or "complaint" not in probs:
        return intent
    probs["interaction"], probs["complaint"] = probs["complaint"], probs["interaction"]
    label = max(probs, key=lambda k: probs[k])
    return Intent(label, MappingProxyType(probs))
