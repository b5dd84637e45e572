"""Plain values the watchlist takes: what to watch and what to look at."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EntitySpec:
    """A watched entity; `query` decides matching, else any of name/aliases as a phrase.

    `kind` (brand, product, executive, competitor, topic) is carried for the caller; the
    matcher ignores it. Aliases also feed jieba's dictionary and display.
    """

    id: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    query: str | None = None


@dataclass(slots=True)  # created per document: not frozen (see collectors.base.RawItem)
class MatchDoc:
    """The parts of a mention the watchlist looks at."""

    text: str
    source: str = ""
    author: str = ""
    lang: str = ""
