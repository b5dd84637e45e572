"""A compiled watchlist: which watched entities a document mentions.

Per document: the text is folded once (`normalise.fold`: case-folded, Traditional kept as
is and matched through character classes), the prefilter turns a few substring scans into
a bit mask of candidate entities (most documents stop here), and each candidate's compiled
query runs with a per-document memo of term results (see compiler.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from classifiers.normalise import collapse_ws, fold, normalise, simplify
from monitor.watchlist.compiler import Check, Memo, anchors, compile_checks
from monitor.watchlist.model import EntitySpec, MatchDoc
from monitor.watchlist.prefilter import Prefilter
from monitor.watchlist.query import Node, Or, QuerySyntaxError, Term, parse_query, positive_terms

__all__ = ["EntitySpec", "MatchDoc", "QuerySyntaxError", "Watchlist", "entity_ast"]


def entity_ast(spec: EntitySpec) -> Node:
    """Return the AST for an entity: its query, or an OR of its name and aliases."""
    if spec.query is not None:
        return parse_query(spec.query)
    terms: list[Node] = []
    seen: set[str] = set()
    for raw in (spec.name, *spec.aliases):
        text = collapse_ws(normalise(raw))
        if text and text not in seen:
            seen.add(text)
            terms.append(Term(text, raw, 0))
    if not terms:
        raise QuerySyntaxError("no query, name or alias to match", position=0, query="")
    return terms[0] if len(terms) == 1 else Or(tuple(terms))


class Watchlist:
    """Compiled entity queries; build with `Watchlist.compile`, then call `match` per doc."""

    def __init__(self, entities: Sequence[EntitySpec], asts: Sequence[Node]) -> None:
        """Prefer `Watchlist.compile`, which checks the entities and names bad ones."""
        self.entities = tuple(entities)
        checks: list[Check] = compile_checks(asts)
        self._checks = [
            (1 << i, spec.id, check)
            for i, (spec, check) in enumerate(zip(entities, checks, strict=True))
        ]
        self._prefilter = Prefilter([anchors(ast) for ast in asts])
        self._terms = _dictionary_terms(entities, asts)

    @classmethod
    def compile(cls, entities: Sequence[EntitySpec]) -> Watchlist:
        """Parse and compile every entity; raise QuerySyntaxError naming the bad entity."""
        asts: list[Node] = []
        seen: set[str] = set()
        for spec in entities:
            if spec.id in seen:
                raise ValueError(f"duplicate watchlist entity id {spec.id!r}")
            seen.add(spec.id)
            try:
                asts.append(entity_ast(spec))
            except QuerySyntaxError as exc:
                raise exc.for_entity(spec.id) from None
        return cls(entities, asts)

    def match(self, doc: MatchDoc) -> tuple[str, ...]:
        """Return the ids of the entities the document mentions, in configuration order."""
        text = fold(doc.text)
        candidates = self._prefilter.candidates(text)
        if not candidates:
            return ()
        memo: Memo = {}
        return tuple(
            eid for bit, eid, check in self._checks if candidates & bit and check(text, doc, memo)
        )

    def terms(self) -> list[str]:
        """Return positive terms, names and aliases (original and Simplified spelling)."""
        return list(self._terms)

    @staticmethod
    def normalise(text: str) -> str:
        """Return text in the form queries are matched against (see classifiers.normalise)."""
        return normalise(text)


def _dictionary_terms(entities: Sequence[EntitySpec], asts: Sequence[Node]) -> list[str]:
    out: dict[str, None] = {}
    for spec, ast in zip(entities, asts, strict=True):
        for raw in (spec.name, *spec.aliases, *(t.raw for t in positive_terms(ast))):
            raw = collapse_ws(raw)
            if raw:
                out.setdefault(raw, None)
                out.setdefault(simplify(raw), None)
    return list(out)
