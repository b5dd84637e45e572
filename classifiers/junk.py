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
    text = cleaned[:_SCAN]
    if "URL" in text or "@USER" in text:
        text = _PLACEHOLDER_RE.sub(" ", text)
    if _WORD_CHAR_RE.search(text) is None:
        return None if _EMOJI_RE.search(text) else "no words"
    if _RUN_RE.search(text) is not None:  # rare: only then count what the runs leave
        letters = len(_WORD_CHAR_RE.findall(text))
        kept = len(_WORD_CHAR_RE.findall(_RUN_RE.sub("", text)))
        if kept < MIN_KEPT_SHARE * letters:
            return "repeated characters"
    parts = text.lower().split()
    limit = MAX_DISTINCT_TOKENS * 2
    # More distinct parts among the first few already rule it out, without a set of them all.
    if (
        len(parts) >= MIN_REPEAT_TOKENS
        and len(set(parts[: limit + 1])) <= limit
        and len(set(parts)) <= limit
    ):
        tokens = _TOKEN_RE.findall(text.lower())
        if len(tokens) >= MIN_REPEAT_TOKENS and len(set(tokens)) <= MAX_DISTINCT_TOKENS:
            return "repeated words"
    return None
