"""Parser: structure, precedence and every syntax error with its position."""

from __future__ import annotations

import pytest

from monitor.watchlist.query import (
    And,
    Field,
    Near,
    Node,
    Not,
    QuerySyntaxError,
    Term,
    describe_syntax,
    parse_query,
    positive_terms,
)


def show(node: Node) -> str:
    """Render an AST compactly so expected trees read like the queries."""
    if isinstance(node, Term):
        return node.text
    if isinstance(node, Field):
        return f"{node.name}:{node.value}"
    if isinstance(node, Not):
        return f"NOT({show(node.child)})"
    if isinstance(node, Near):
        return f"NEAR{node.distance}({show(node.left)}, {show(node.right)})"
    name = "AND" if isinstance(node, And) else "OR"
    return f"{name}({', '.join(show(c) for c in node.children)})"


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("acme", "acme"),
        ("Acme", "acme"),
        ("a b c", "AND(a, b, c)"),
        ("a AND b", "AND(a, b)"),
        ("a OR b c", "OR(a, AND(b, c))"),
        ("a b OR c", "OR(AND(a, b), c)"),
        ("a OR b AND c OR d", "OR(a, AND(b, c), d)"),
        ("NOT a b", "AND(NOT(a), b)"),
        ("a NOT b OR c", "OR(AND(a, NOT(b)), c)"),
        ("(a OR b) c", "AND(OR(a, b), c)"),
        ("a (b OR c)", "AND(a, OR(b, c))"),
        ("((a))", "a"),
        ("a -b", "AND(a, NOT(b))"),
        ('a -"b c"', "AND(a, NOT(b c))"),
        ("a -(b OR c)", "AND(a, NOT(OR(b, c)))"),
        ("NOT NOT a", "a"),
        ("NOT NOT NOT a", "NOT(a)"),
        ("e-mail", "e-mail"),
        ('"Acme   Phone"', "acme phone"),
        ("a NEAR/3 b", "NEAR3(a, b)"),
        ("NOT a NEAR/2 b", "NOT(NEAR2(a, b))"),
        ("a NEAR/0 b c", "AND(NEAR0(a, b), c)"),
        ("(a OR b) NEAR/5 c", "NEAR5(OR(a, b), c)"),
        ('"a b" NEAR/1 c', "NEAR1(a b, c)"),
        ("source:Weibo lang:zh_TW author:@Bob", "AND(source:weibo, lang:zh-tw, author:bob)"),
        ('author:"Jane  Doe"', "author:jane  doe"),
        ("source:rss-*", "source:rss-*"),
        ("過敏 門", "AND(过敏, 门)"),
        ("ＡＣＭＥ", "acme"),
        ("“艾克美 手機”（過敏 OR 門）", "AND(艾克美 手机, OR(过敏, 门))"),
        ("「艾克美」 source：weibo", "AND(艾克美, source:weibo)"),
        ("store near me", "AND(store, near, me)"),
        ("10:30", "10:30"),
    ],
)
def test_parse_structure(query: str, tree: str) -> None:
    assert show(parse_query(query)) == tree


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        ("", 0, "empty query at position 0"),
        ("   ", 0, "empty query at position 0"),
        ("acme AND (b)) c", 12, "unexpected ')' at position 12"),
        ("(acme OR acme) )", 15, "unexpected ')' at position 15"),
        (")", 0, "unexpected ')' at position 0"),
        ('acme "recall', 5, "unterminated quote starting at position 5"),
        ("“艾克美", 0, "unterminated quote starting at position 0"),
        ('source:"weibo', 7, "unterminated quote starting at position 7"),
        ("acme NEAR recall", 5, "NEAR needs a number, e.g. NEAR/3, at position 5"),
        ("acme NEAR/x recall", 5, "NEAR needs a number, e.g. NEAR/3, at position 5"),
        ("acme NEAR/ recall", 5, "NEAR needs a number, e.g. NEAR/3, at position 5"),
        ("a NEAR/101 b", 2, "NEAR distance must be at most 100, at position 2"),
        ("a NEAR/2 b NEAR/2 c", 11, "NEAR cannot be chained"),
        ("(a b) NEAR/2 c", 6, "NEAR must join terms, phrases or (a OR b) groups at position 6"),
        ("a NEAR/2 NOT b", 9, "unexpected 'NOT' at position 9"),
        ("a NEAR/2 source:x", 2, "NEAR must join terms"),
        ('a NEAR/2 "!!"', 9, "NEAR operand '!!' has no letters or digits at position 9"),
        ("(acme", 0, "missing ')' for the '(' at position 0"),
        ("a (b (c)", 2, "missing ')' for the '(' at position 2"),
        ("(", 1, "unexpected end of query after '(' at position 1"),
        ("()", 0, "empty parentheses at position 0"),
        ("acme AND", 8, "unexpected end of query after 'AND' at position 8"),
        ("acme OR", 7, "unexpected end of query after 'OR' at position 7"),
        ("acme NOT", 8, "unexpected end of query after 'NOT' at position 8"),
        ("AND acme", 0, "unexpected 'AND' at position 0"),
        ("acme OR OR b", 8, "unexpected 'OR' at position 8"),
        ("acme AND OR b", 9, "unexpected 'OR' at position 9"),
        ("acme or b", 5, "operators must be in capitals: write OR, or quote"),
        ("acme And b", 5, "write AND"),
        ("not acme", 0, "write NOT"),
        ("a near/3 b", 2, "write NEAR/3"),
        ("acme - b", 5, "'-' must be followed by a term, e.g. -spam, at position 5"),
        ("acme -", 5, "'-' must be followed by a term"),
        ('""', 0, "empty phrase at position 0"),
        ('a "  "', 2, "empty phrase at position 2"),
        ("a \u200b", 2, "term has no visible characters at position 2"),
        ("soruce:weibo", 0, "unknown field 'soruce' (known: source, author, lang;"),
        ("acme https://x.com", 5, "unknown field 'https'"),
        ("source:", 0, "source: needs a value, e.g. source:weibo, at position 0"),
        ('a author:""', 2, "author: needs a value"),
        ("author:@", 0, "author: needs a value"),
        ("lang:中文", 0, "lang: expects a language code such as zh, en or zh-tw, at position 0"),
        ("(" * 61 + "a" + ")" * 61, 60, "more than 60 nested parentheses at position 60"),
        ("a " * 5001, 10_000, "query longer than 10000 characters at position 10000"),
    ],
)
def test_syntax_errors(query: str, position: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert info.value.position == position
    assert info.value.query == query
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_error_for_entity_keeps_position_and_names_entity() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query("acme AND (b)) c")
    named = info.value.for_entity("acme")
    assert str(named) == "entity 'acme': unexpected ')' at position 12"
    assert (named.position, named.query, named.entity_id) == (12, "acme AND (b)) c", "acme")


def test_positive_terms_skip_negated_ones() -> None:
    ast = parse_query('acme -spam NOT (jobs OR "hiring now") (x NEAR/2 y) NOT NOT z')
    assert [t.text for t in positive_terms(ast)] == ["acme", "x", "y", "z"]


def test_deep_not_chain_stays_shallow() -> None:
    assert show(parse_query("NOT " * 2000 + "a")) == "a"


def test_describe_syntax_covers_every_construct() -> None:
    text = describe_syntax()
    for needle in ("NEAR/", "source:", "author:", "lang:", '"acme phone"', "-招聘", "OR", "過敏"):
        assert needle in text
    assert "Query language reference" not in text  # the heading is the reader's to choose
