"""Junk text: no words, only symbols, or dominated by one repeated character or word.

Junk carries no risk category and no intent (a run of one letter is not an insult, a 100 KB
run is not a critical incident). ``junk_reason(cleaned)`` names why a cleaned text is junk,
or returns None. Emoji-only text is not junk: emoji carry sentiment.
"""

from __future__ import annotations

import re

_RUN_RE = re.compile(r"(.)\1{3,}", re.S)
_WORD_CHAR_RE = re.compile(r"[^\W_]")
_EMOJI_RE = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf]")
_PLACEHOLDER_RE = re.compile(r"\bURL\b|@USER")
_TOKEN_RE = re.compile(r"[^\W_]+")
# A text whose letters are mostly one character repeated (AAAAAA…, 哈哈哈哈 is fine: two
# different runs of at most 3) has too little left to classify.
MIN_KEPT_SHARE = 0.4
MIN_REPEAT_TOKENS = 12
MAX_DISTINCT_TOKENS = 2
_SCAN = 4000


def junk_reason(cleaned: str) -> str | None:
    """Why ``cleaned`` (output of ``classifiers.text.clean``) is junk, else None."""
    text = _PLACEHOLDER_RE.sub(" ", cleaned[:_SCAN])
    letters = len(_WORD_CHAR_RE.findall(text))
    if letters == 0:
        return None if _EMOJI_RE.search(text) else "no words"
    if len(text) > 3:
        kept = len(_WORD_CHAR_RE.findall(_RUN_RE.sub("", text)))
        if kept < MIN_KEPT_SHARE * letters:
            return "repeated characters"
    tokens = _TOKEN_RE.findall(text.lower())
    if len(tokens) >= MIN_REPEAT_TOKENS and len(set(tokens)) <= MAX_DISTINCT_TOKENS:
        return "repeated words"
    return None
