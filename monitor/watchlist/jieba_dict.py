"""Feed watchlist names to jieba's user dictionary so they are never split.

Called once by the composition root at start (`add_to_jieba(watchlist.terms())`), never at
import time: the first call loads jieba's dictionary (~0.7 s).

Caveat: a name that is also a common word (美的 / Midea) will be kept whole everywhere,
e.g. "完美的" then cuts as 完 / 美的. That is the price of never splitting the name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import jieba

# Higher than any word in jieba's default dictionary (的 is ~320,000 of ~60 M), so the
# name wins against every segmentation that would cut through it.
NAME_FREQ = 2_000_000
NAME_TAG = "nz"  # jieba's tag for "other proper noun"

# jieba cuts text into blocks of these characters before looking words up, so a word can
# only ever be found inside one such block (its re_han_default, as of jieba 0.42).
_JIEBA_BLOCK_RE = re.compile(r"[\u4e00-\u9fd5a-zA-Z0-9+#&._%\-]+")
_CJK_RE = re.compile(r"[\u4e00-\u9fd5]")


def jieba_words(terms: Iterable[str]) -> list[str]:
    """Return the pieces of terms worth adding: jieba blocks with CJK, at least 2 chars."""
    words: dict[str, None] = {}
    for term in terms:
        for piece in _JIEBA_BLOCK_RE.findall(term):
            # A single character added with a huge frequency would be cut out of every word.
            if len(piece) >= 2 and _CJK_RE.search(piece):
                words.setdefault(piece, None)
    return list(words)


def add_to_jieba(terms: Iterable[str], *, tokenizer: Any = None) -> None:
    """Add the CJK names among terms to jieba (default: its global tokenizer) as whole words."""
    target = jieba.dt if tokenizer is None else tokenizer
    for word in jieba_words(terms):
        target.add_word(word, freq=NAME_FREQ, tag=NAME_TAG)
