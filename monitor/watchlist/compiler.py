"""Compile query ASTs into closures that test one folded document.

A check is `check(text, doc, memo) -> bool` where text is `classifiers.normalise.fold(doc.text)` and
memo is a per-document dict shared by all entities: a term used more than once in the
watchlist is searched once per document. AND/OR short-circuit, with cheap children first
(field filters, then terms; NOT and NEAR last). An OR of terms first scans for the terms'
key substrings in one C-level pass and only then runs the exact (word-boundary) tests.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from itertools import compress, islice
from typing import Any

from classifiers.normalise import TOKEN_RE
from monitor.watchlist.literal import Literal, prefilter_keys
from monitor.watchlist.model import MatchDoc
from monitor.watchlist.query import And, Field, Near, Node, Not, Or, Term, normalise_field

Memo = dict[Any, Any]
Check = Callable[[str, MatchDoc, Memo], bool]


def anchors(node: Node) -> frozenset[str] | None:
    """Return terms one of which must occur for node to match, or None if there are none."""
    if isinstance(node, Term):
        return frozenset((node.text,))
    if isinstance(node, Near):
        left, right = anchors(node.left), anchors(node.right)
        assert left is not None and right is not None  # NEAR operands are terms
        return left if len(left) <= len(right) else right
    if isinstance(node, Or):
        union: set[str] = set()
        for child in node.children:
            sub = anchors(child)
            if sub is None:
                return None
            union |= sub
        return frozenset(union)
    if isinstance(node, And):
        found = [a for a in map(anchors, node.children) if a is not None]
        return min(found, key=len) if found else None
    return None  # Field, Not


def _cost(node: Node) -> int:
    if isinstance(node, Field):
        return 0
    if isinstance(node, Term):
        return 1
    if isinstance(node, Not):
        return 1 + _cost(node.child)
    if isinstance(node, Near):
        return 10
    return 2 + max(_cost(child) for child in node.children)


def all_terms(node: Node) -> list[Term]:
    """Return every term of the AST, negated ones included."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return all_terms(node.child)
    if isinstance(node, Near):
        return all_terms(node.left) + all_terms(node.right)
    if isinstance(node, And | Or):
        return [t for child in node.children for t in all_terms(child)]
    return []


def compile_checks(asts: Sequence[Node]) -> list[Check]:
    """Return one check per AST; literals are shared across all of them."""
    literals: dict[str, Literal] = {}
    uses: dict[str, int] = {}
    for ast in asts:
        for term in all_terms(ast):
            if term.text not in literals:
                literals[term.text] = Literal(term.text)
            uses[term.text] = uses.get(term.text, 0) + 1
    compiler = _Compiler(literals, {t for t, n in uses.items() if n > 1})
    return [compiler.build(ast) for ast in asts]


class _Compiler:
    def __init__(self, literals: dict[str, Literal], shared: set[str]) -> None:
        self.literals = literals
        self.shared = shared

    def term(self, text: str) -> Check:
        lit = self.literals[text]
        present = lit.present
        if text in self.shared:

            def memo_term(t: str, d: MatchDoc, m: Memo) -> bool:
                hit = m.get(text)
                if hit is None:
                    hit = m[text] = present(t)
                return hit

            return memo_term
        if lit.plain:
            return lambda t, d, m: text in t
        return lambda t, d, m: present(t)

    def build(self, node: Node) -> Check:
        if isinstance(node, Term):
            return self.term(node.text)
        if isinstance(node, Field):
            return _field_check(node)
        if isinstance(node, Not):
            inner = self.build(node.child)
            return lambda t, d, m: not inner(t, d, m)
        if isinstance(node, Near):
            return self.near(node)
        if isinstance(node, Or) and all(isinstance(c, Term) for c in node.children):
            return self.any_term([c.text for c in node.children if isinstance(c, Term)])
        checks = [self.build(c) for c in sorted(node.children, key=_cost)]
        if len(checks) == 2:
            first, second = checks
            if isinstance(node, And):
                return lambda t, d, m: first(t, d, m) and second(t, d, m)
            return lambda t, d, m: first(t, d, m) or second(t, d, m)
        if isinstance(node, And):

            def all_of(t: str, d: MatchDoc, m: Memo) -> bool:
                # Plain loops: any()/all() over a generator cost more on this hot path.
                for check in checks:  # noqa: SIM110
                    if not check(t, d, m):
                        return False
                return True

            return all_of

        def any_of(t: str, d: MatchDoc, m: Memo) -> bool:
            for check in checks:  # noqa: SIM110
                if check(t, d, m):
                    return True
            return False

        return any_of

    def any_term(self, texts: list[str]) -> Check:
        """An OR of terms: one C-level pass over their key substrings picks what to probe."""
        checks = [self.term(text) for text in texts]
        keys: list[str] = []
        owners: list[Check] = []
        unkeyed: list[Check] = []
        for text, check in zip(texts, checks, strict=True):
            spellings = prefilter_keys(text)
            if not spellings:
                unkeyed.append(check)
            for key in spellings:
                keys.append(key)
                owners.append(check)
        key_tuple, owner_tuple = tuple(keys), tuple(owners)

        def any_term(t: str, d: MatchDoc, m: Memo) -> bool:
            for check in compress(owner_tuple, map(t.__contains__, key_tuple)):
                if check(t, d, m):
                    return True
            for check in unkeyed:  # noqa: SIM110
                if check(t, d, m):
                    return True
            return False

        return any_term

    def near(self, node: Near) -> Check:
        left_any, right_any = self.build(node.left), self.build(node.right)
        left = [self.literals[t.text] for t in _operand_terms(node.left)]
        right = [self.literals[t.text] for t in _operand_terms(node.right)]
        distance = node.distance

        def near_check(t: str, d: MatchDoc, m: Memo) -> bool:
            if not (left_any(t, d, m) and right_any(t, d, m)):
                return False
            return _within(t, _spans(t, left, m), _spans(t, right, m), distance)

        return near_check


def _operand_terms(node: Node) -> list[Term]:
    children = node.children if isinstance(node, Or) else (node,)
    return [child for child in children if isinstance(child, Term)]


def _spans(text: str, lits: list[Literal], m: Memo) -> list[tuple[int, int]]:
    """Return the sorted (start, end) offsets of every occurrence of any of the literals."""
    out: list[tuple[int, int]] = []
    for lit in lits:
        key = ("spans", lit.text)
        spans = m.get(key)
        if spans is None:
            spans = m[key] = lit.spans(text)
        out.extend(spans)
    out.sort()
    return out


def _few_tokens(text: str, start: int, end: int, limit: int) -> bool:
    """True when text[start:end] holds at most `limit` tokens (see normalise.TOKEN_RE)."""
    if end - start <= limit:
        return True  # every token is at least one character
    return sum(1 for _ in islice(TOKEN_RE.finditer(text, start, end), limit + 1)) <= limit


def _within(
    text: str, left: list[tuple[int, int]], right: list[tuple[int, int]], distance: int
) -> bool:
    """True when a left and a right occurrence have at most `distance` tokens between them.

    Token counts only grow with the gap, so for each left occurrence it is enough to look
    at the nearest right occurrence after it, the nearest before it, and any overlapping.
    """
    if not left or not right:
        return False
    starts = [s for s, _ in right]
    by_end = sorted(e for _, e in right)
    longest = max(e - s for s, e in right)
    for a_start, a_end in left:
        lo = bisect_left(starts, a_start - longest)
        hi = bisect_left(starts, a_end)
        for b_start, b_end in right[lo:hi]:
            if b_end > a_start and (b_start, b_end) != (a_start, a_end):
                return True  # overlapping occurrences: nothing between them
        after = bisect_left(starts, a_end)
        if after < len(starts) and _few_tokens(text, a_end, starts[after], distance):
            return True
        before = bisect_right(by_end, a_start) - 1
        if before >= 0 and _few_tokens(text, by_end[before], a_start, distance):
            return True
    return False


def _field_check(node: Field) -> Check:
    name, want = node.name, node.value
    prefix = want.endswith("*")
    stem = want[:-1] if prefix else want
    key = ("field", name)  # memo keys for terms are plain strings

    def field_check(t: str, d: MatchDoc, m: Memo) -> bool:
        have = m.get(key)
        if have is None:
            have = m[key] = normalise_field(name, getattr(d, name))
        if prefix:
            return bool(have.startswith(stem))
        if name == "lang":
            return bool(have == want or have.startswith(want + "-"))
        return bool(have == want)

    return field_check
