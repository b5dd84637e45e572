"""Property tests: the parser never fails oddly; the fast matcher equals a naive reference.

The reference evaluates the same AST on `normalise(text)` with one straightforward regex
per term (look-arounds for word boundaries) and whole-text token positions for NEAR, so
it shares none of the matcher's shortcuts (folding without translation, character
classes for Traditional variants, prefilter keys, memo, gap-only token counting).
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifiers.normalise import TOKEN_RE, UNSPACED_RANGES
from monitor.watchlist import EntitySpec, MatchDoc, Watchlist, normalise
from monitor.watchlist.query import (
    And,
    Field,
    Near,
    Node,
    Not,
    Or,
    QuerySyntaxError,
    Term,
    normalise_field,
    parse_query,
)

SPACED_WORD = f"[^\\W{UNSPACED_RANGES}]"
UNSPACED = re.compile(f"[{UNSPACED_RANGES}]")

QUERY_TOKENS = [
    "acme", "Acme", "ace", "艾克美", "門", "过敏", "過敏", "ＡＣＭＥ", "(", ")", "（", "）", '"',
    "“", "”", "「", "」", "AND", "OR", "NOT", "and", "or", "Not", "NEAR/2", "NEAR/0", "NEAR",
    "NEAR/x", "near/3", "-", "-acme", "source:", "source:weibo", 'source:"a b"', "lang:zh",
    "lang:中文", "author:@x", "foo:bar", "10:30", ":", "*", "\u200b", "\u3000", "😀", "\\",
    "e-mail", "c++", "'", "NEAR/999",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(QUERY_TOKENS), max_size=12),
    st.lists(st.sampled_from(["", " ", "  ", "\t"]), min_size=12, max_size=12),
)
def test_token_soup_parses_or_raises_query_syntax_error(tokens: list[str], gaps: list[str]) -> None:
    query = "".join(tok + gap for tok, gap in zip(tokens, gaps, strict=False))
    try:
        parse_query(query)
    except QuerySyntaxError as exc:
        assert 0 <= exc.position <= len(query)
        assert str(exc).endswith(f"at position {exc.position}")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_parses_or_raises_query_syntax_error(query: str) -> None:
    try:
        parse_query(query)
    except QuerySyntaxError as exc:
        assert 0 <= exc.position <= len(query)
        return
    Watchlist.compile([EntitySpec("e", "e", "topic", query=query)]).match(MatchDoc(query))


# ---------------------------------------------------------------- reference matcher


def term_regex(text: str) -> re.Pattern[str]:
    parts: list[str] = []
    for i, ch in enumerate(text):
        if ch == " ":
            both = UNSPACED.match(text[i - 1]) and UNSPACED.match(text[i + 1])
            parts.append(r"\s*" if both else r"\s+")
        else:
            parts.append(re.escape(ch))
    body = "".join(parts)
    if re.match(SPACED_WORD, text[0]):
        body = f"(?<!{SPACED_WORD})" + body
    if re.match(SPACED_WORD, text[-1]):
        body += f"(?!{SPACED_WORD})"
    return re.compile(f"(?=({body}))")  # the look-ahead finds overlapping occurrences


def occurrences(node: Node, text: str) -> list[tuple[int, int]]:
    terms = node.children if isinstance(node, Or) else (node,)
    out = []
    for term in terms:
        assert isinstance(term, Term)
        out += [(m.start(1), m.end(1)) for m in term_regex(term.text).finditer(text)]
    return out


def reference(node: Node, text: str, doc: MatchDoc) -> bool:
    if isinstance(node, Term):
        return term_regex(node.text).search(text) is not None
    if isinstance(node, Field):
        have = normalise_field(node.name, getattr(doc, node.name))
        if node.value.endswith("*"):
            return have.startswith(node.value[:-1])
        return have == node.value or (node.name == "lang" and have.startswith(node.value + "-"))
    if isinstance(node, Not):
        return not reference(node.child, text, doc)
    if isinstance(node, And):
        return all(reference(c, text, doc) for c in node.children)
    if isinstance(node, Or):
        return any(reference(c, text, doc) for c in node.children)
    assert isinstance(node, Near)
    tokens = [m.span() for m in TOKEN_RE.finditer(text)]

    def token_range(span: tuple[int, int]) -> tuple[int, int]:
        inside = [i for i, (s, e) in enumerate(tokens) if s < span[1] and e > span[0]]
        return inside[0], inside[-1]

    lefts = occurrences(node.left, text)
    rights = occurrences(node.right, text)
    for a in lefts:
        for b in rights:
            if a == b:
                continue
            (a0, a1), (b0, b1) = token_range(a), token_range(b)
            gap = b0 - a1 - 1 if b0 > a1 else a0 - b1 - 1 if a0 > b1 else 0
            if gap <= node.distance:
                return True
    return False


# Characters chosen to hit every special case: Traditional/Simplified pairs, full-width
# punctuation, casefold expansions, word boundaries, emoji. SPECIAL ones (full-width
# letters, invisibles) make the matcher translate the whole text, so they come separately
# to keep the untranslated path well exercised too.
PLAIN = list("acemps 'ß艾克美门門过過敏发發髮，,!！") + ["\u3000", "😀", "\n"]
SPECIAL = ["Ａ", "ａ", "Ｍ", "\u200b", "\u00ad"]
WORDS = ["acme", "ace", "艾克美", "门", "過敏", "ss", "ＡＣＭＥ", "a！", "发", "p"]
PHRASES = ['"acme  p"', '"艾克美 门"', '"ss ace"']


def query_strategy() -> st.SearchStrategy[str]:
    leaf = st.sampled_from(WORDS + PHRASES + ["lang:zh", "source:s*", "author:@ann"])
    near = st.builds(
        lambda a, n, b: f"{a} NEAR/{n} {b}",
        st.sampled_from(WORDS + PHRASES + ["(acme OR 门)"]),
        st.integers(0, 3),
        st.sampled_from(WORDS + PHRASES),
    )

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.builds(lambda a, b: f"({a} OR {b})", inner, inner),
            st.builds(lambda a, b: f"({a} {b})", inner, inner),
            st.builds(lambda a: f"NOT ({a})", inner),
            st.builds(lambda a: f"-({a})", inner),
        )

    return st.recursive(st.one_of(leaf, near), extend, max_leaves=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    queries=st.lists(query_strategy(), min_size=1, max_size=4),
    text=st.one_of(
        st.lists(st.sampled_from(PLAIN + WORDS), max_size=30).map("".join),
        st.lists(st.sampled_from(PLAIN + WORDS + SPECIAL), max_size=30).map("".join),
    ),
    source=st.sampled_from(["", "s", "src"]),
    author=st.sampled_from(["", "Ann", "@ann", "bob"]),
    lang=st.sampled_from(["", "zh", "zh-TW", "en"]),
)
def test_matcher_equals_reference(
    queries: list[str], text: str, source: str, author: str, lang: str
) -> None:
    entities = [EntitySpec(f"e{i}", "x", "topic", query=q) for i, q in enumerate(queries)]
    doc = MatchDoc(text, source=source, author=author, lang=lang)
    normalised = normalise(text)
    expected = tuple(
        e.id for e in entities if reference(parse_query(e.query or ""), normalised, doc)
    )
    assert Watchlist.compile(entities).match(doc) == expected


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
