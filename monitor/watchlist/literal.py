"""One compiled search term: presence test and occurrence spans on folded text.

Semantics (the reference): the term, normalised, occurs in `normalise(text)`; where the
term starts or ends with a letter/digit of a space-separated script (Latin, Cyrillic...),
the neighbouring text character must not be one (word boundary), so `ace` does not match
"grace" but `acme` matches "Acme's". CJK edges need no boundary: Chinese has no spaces.
A space inside a term matches any run of whitespace (or none between two CJK characters).

The text given here is `normalise.fold(text)`, which may still hold Traditional characters
and full-width punctuation; characters of the term that have such variants become
character classes, which is equivalent to translating the whole text first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import product
from math import prod

from classifiers.normalise import (
    SPACED_WORD,
    is_spaced_word_char,
    is_unspaced,
    variant_map,
)


def _pattern(text: str) -> tuple[list[str], bool]:
    """Return (regex source per character, whether it differs from a plain substring search)."""
    variants = variant_map()
    parts: list[str] = []
    needs_regex = False
    for i, ch in enumerate(text):
        if ch == " ":
            needs_regex = True
            both_cjk = is_unspaced(text[i - 1]) and is_unspaced(text[i + 1])
            parts.append(r"\s*" if both_cjk else r"\s+")
            continue
        forms = variants.get(ch)
        if forms is None:
            parts.append(re.escape(ch))
        else:
            needs_regex = True
            parts.append("[" + "".join(re.escape(f) for f in forms) + "]")
    return parts, needs_regex


def _bounded_pattern(parts: list[str], left_edge: bool, right_edge: bool) -> str:
    """The term's regex with its word boundaries as look-arounds, so one C-level search
    finds a bounded occurrence. The left one is tested after the first character (two
    characters back: the one before the term and the first, which a left edge makes a word
    character, so ``.`` matches it): a pattern that starts with a look-behind loses re's
    scan for its first character and runs at every position, 4-5 times slower."""
    left = f"(?<!{SPACED_WORD}.)" if left_edge else ""
    right = f"(?!{SPACED_WORD})" if right_edge else ""
    return parts[0] + left + "".join(parts[1:]) + right


MAX_KEY_SPELLINGS = 32


def key_options(text: str) -> list[tuple[str, ...]]:
    """Return alternative key sets for a term; every occurrence contains a key of each set.

    A key set is one space-separated piece spelled out in every Traditional/full-width
    variant combination (first the canonical spelling), or, beyond MAX_KEY_SPELLINGS, each
    variant-free run of the piece. Empty when no key exists (all characters have variants).
    """
    variants = variant_map()
    options: list[tuple[str, ...]] = []
    for piece in text.split(" "):
        choices = [variants.get(ch, ch) for ch in piece]
        if prod(len(forms) for forms in choices) <= MAX_KEY_SPELLINGS:
            options.append(tuple("".join(p) for p in product(*choices)))
            continue
        run = ""
        for ch in piece + " ":  # a space never has a variant here: it ends the last run
            if ch in variants or ch == " ":
                if run:
                    options.append((run,))
                run = ""
            else:
                run += ch
    return options


def prefilter_keys(text: str, preferred: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Return the best key set of a term: one already `preferred`, else the longest."""
    options = key_options(text)
    if not options:
        return ()
    reused = [keys for keys in options if keys[0] in preferred]
    return max(reused or options, key=lambda keys: (len(keys[0]), -len(keys)))


class Literal:
    """A normalised, whitespace-collapsed term compiled for fast matching."""

    __slots__ = ("text", "plain", "left_edge", "right_edge", "search", "present")

    def __init__(self, text: str) -> None:
        if not text or text != text.strip():
            raise ValueError(f"term must be non-empty and stripped: {text!r}")
        self.text = text
        self.left_edge = is_spaced_word_char(text[0])
        self.right_edge = is_spaced_word_char(text[-1])
        parts, needs_regex = _pattern(text)
        # Finds only occurrences whose word boundaries hold: the one definition of a valid
        # occurrence, for ``present`` and ``spans`` alike.
        self.search = re.compile(_bounded_pattern(parts, self.left_edge, self.right_edge)).search
        # A plain literal with no boundary to check is a bare `in`; callers may inline it.
        self.plain = not needs_regex and not self.left_edge and not self.right_edge
        self.present: Callable[[str], bool]
        if self.plain:
            self.present = self._present_in
        else:
            search = self.search
            self.present = lambda text: search(text) is not None

    def _present_in(self, text: str) -> bool:
        return self.text in text

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Return the (start, end) offsets of every valid occurrence, overlapping ones too."""
        out: list[tuple[int, int]] = []
        search = self.search
        found = search(text)
        while found is not None:
            out.append(found.span())
            found = search(text, found.start() + 1)
        return out

    def __repr__(self) -> str:
        return f"Literal({self.text!r})"
