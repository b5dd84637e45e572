"""The search index's terms: one function makes them for SQLite's FTS5 and PostgreSQL's tsvector.

Text is first put in ``classifiers.normalise.normalise`` form (case-folded, Traditional
Chinese folded to Simplified, full-width folded), so queries in either script match both.
Then it is cut into terms:

- a word of a script written with spaces (English, digits) is one term: English matches by
  whole word;
- a run of characters of a script written without spaces (Chinese, Japanese, Korean, Thai)
  ``c1 c2 ... cn`` becomes its overlapping pairs ``c1c2 c2c3 ... c(n-1)cn`` followed by the
  last character ``cn`` alone, one position each.

Every character of a run starts exactly one term, so a query for one character is a prefix
query (``奶*``), two characters are one term (``奶粉``, the common case, one index lookup),
and ``n`` characters are the phrase of their ``n-1`` pairs; the lone last character of a run
ends the phrase there, so no phrase runs from one run (or field) into the next.

A query is the AND of its words and runs; ``query_terms`` returns them, and ``fts5_query``
and ``tsquery`` spell them for each database. Nothing the user types reaches either query
language unquoted: terms hold only word characters, and each is quoted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from classifiers.normalise import SPACED_WORD, UNSPACED_RANGES, normalise

# Longer words are cut into pieces (documents and queries alike): PostgreSQL refuses lexemes
# over 2 KB.
WORD_CHARS = 100
_WORD = f"{SPACED_WORD}{{1,{WORD_CHARS}}}"
_RUN_RE = re.compile(f"{_WORD}|[{UNSPACED_RANGES}]+")
_ASCII_WORD_RE = re.compile(f"\\w{{1,{WORD_CHARS}}}", re.ASCII)
# every ASCII byte that is not a word character, as a space: ``split`` then finds the words
_ASCII_SEPARATORS = bytes(
    c if chr(c).isascii() and (chr(c).isalnum() or c == ord("_")) else ord(" ")
    for c in range(256)
)
_LONG_WORD_RE = re.compile(f"[^ ]{{{WORD_CHARS + 1}}}".encode("ascii"))
_UNSPACED_RE = re.compile(f"[{UNSPACED_RANGES}]")
# ``index_tokens`` in one C-level pass: each match consumes a word, or one character of a run,
# while the look-ahead captures its term: the word, the character and the next one of its run
# (a pair), or the character alone (last of its run).
_TOKEN_RE = re.compile(
    f"(?=({_WORD}|[{UNSPACED_RANGES}]{{2}}|[{UNSPACED_RANGES}]))(?:{_WORD}|[{UNSPACED_RANGES}])"
)


@dataclass(frozen=True)
class Term:
    """One part of a query: ``tokens`` in a row (a phrase), or a prefix when ``prefix``."""

    tokens: tuple[str, ...]
    prefix: bool = False


def index_tokens(*fields: str | None) -> list[str]:
    """The terms a mention is indexed under, in order, from its title, text and author."""
    # one pass over the fields joined: a line break is no word character, so no term spans
    # two fields (and no pair: a run ends at the break)
    norm = normalise("\n".join(f for f in fields if f))
    if norm.isascii():  # most English text: no runs to pair
        return _ascii_words(norm)
    return _TOKEN_RE.findall(norm)


def _ascii_words(norm: str) -> list[str]:
    """``_ASCII_WORD_RE.findall(norm)``, twice as fast: a byte table turns what separates
    words into spaces, ``split`` cuts there (the regex is needed only for a word too long)."""
    spaced = norm.encode("ascii").translate(_ASCII_SEPARATORS)
    if len(spaced) > WORD_CHARS and _LONG_WORD_RE.search(spaced) is not None:
        return _ASCII_WORD_RE.findall(norm)
    return spaced.decode("ascii").split()


def index_text(*fields: str | None) -> str:
    """``index_tokens`` as FTS5 stores them: separated by spaces."""
    return " ".join(index_tokens(*fields))


def query_terms(text: str) -> list[Term]:
    """What a search for ``text`` requires, all together; empty when it holds no word."""
    terms: list[Term] = []
    for run in _RUN_RE.findall(normalise(text)):
        if _UNSPACED_RE.match(run) is None:
            terms.append(Term((run,)))
        elif len(run) == 1:
            terms.append(Term((run,), prefix=True))
        else:
            terms.append(Term(tuple(run[i : i + 2] for i in range(len(run) - 1))))
    return list(dict.fromkeys(terms))


def fts5_query(terms: Iterable[Term]) -> str:
    """The FTS5 MATCH expression for ``terms`` (tokens hold only word characters)."""
    return " AND ".join(
        '"' + " ".join(t.tokens) + '"' + ("*" if t.prefix else "") for t in terms
    )


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery(terms: Iterable[Term]) -> str:
    """The PostgreSQL tsquery text for ``terms``, read with ``::tsquery`` (no parser, no
    locale: the lexemes are taken as they are)."""
    parts = []
    for term in terms:
        if term.prefix:
            parts.append(_lexeme(term.tokens[0]) + ":*")
        else:
            phrase = " <-> ".join(_lexeme(t) for t in term.tokens)
            parts.append(f"({phrase})" if len(term.tokens) > 1 else phrase)
    return " & ".join(parts)


def tsvector(*fields: str | None) -> str:
    """The PostgreSQL tsvector text of a mention, read with ``::tsvector``; positions as
    ``index_tokens`` orders them (from 1). The input merges a repeated lexeme's positions,
    keeps 256 of them and sets those past 16383 to 16383; terms hold no quote or backslash
    (only word characters), so quoting is enough."""
    tokens = index_tokens(*fields)
    return " ".join(map("'{}':{}".format, tokens, range(1, len(tokens) + 1)))
