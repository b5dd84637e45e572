"""Watchlist query language: lexer and parser producing a small immutable AST.

Query language reference
========================

A query says which texts mention a watched entity. Matching ignores case, treats
Traditional and Simplified Chinese as the same (門 = 门, 過敏 = 过敏), and treats
full-width letters and digits as ordinary ones (ＡＣＭＥ = acme).

- `acme`: the word, on word boundaries for Latin-script words: matches "Acme's" and
  "ACME", not "acmes"; `ace` does not match "grace".
- `艾克美`: Chinese, Japanese, Korean and Thai text matches anywhere, without word
  boundaries (Chinese has no spaces; Korean attaches particles): matches "买了艾克美手机".
- `"acme phone"`, `"艾克美 手机"`: a phrase, the words in this order with any whitespace
  between (none needed between two Chinese characters).
- `acme recall` or `acme AND recall`, `艾克美 召回`: both.
- `acme OR 艾克美`: either.
- `NOT 招聘` or `-招聘`, `-"job offer"`: must not occur (a `-` inside a word, as in
  `e-mail`, is part of the word).
- `(acme OR 艾克美) (recall OR 召回)`: parentheses group.
- `acme NEAR/3 lawsuit`, `艾克美 NEAR/5 过敏`: both, with at most n tokens between them,
  in either order; `NEAR/0` means adjacent.
- `source:weibo`, `source:"rss-*"`: the mention came from this source id (a trailing `*`
  matches any ending).
- `author:@acme_ceo`, `author:"Jane Doe"`: written by this author (a leading @ is ignored).
- `lang:zh`, `lang:en`, `lang:zh-tw`: in this language; `zh` also covers `zh-tw`, `zh-cn`.

- Precedence, tightest first: `NEAR`, `NOT`, `AND` (also implied between adjacent terms),
  `OR`. So `a OR b c` means `a OR (b AND c)` and `NOT a b` means `(NOT a) AND b`; use
  parentheses when in doubt.
- Operators are written in capitals. A lower-case `and`/`or`/`not` is rejected so that a
  typo cannot silently become a search word; quote it (`"or"`) to search for the word.
- Tokens for `NEAR`: each Latin-script word is one token and each Chinese (or Japanese,
  Korean, Thai) character is one token, so `艾克美 NEAR/5 过敏` allows up to five
  characters between the two. Operands of `NEAR` are terms, phrases or an `OR` of them:
  `(acme OR 艾克美) NEAR/5 (recall OR 召回)`.
- Chinese typing works as well: “curly quotes”, 「corner quotes」, full-width （parentheses）
  and `source：weibo` are accepted.
- Field values may be quoted (`author:"Jane Doe"`) and ignore case. Known fields: source,
  author, lang; any other `name:value` is an error (quote it to search for it as text).
- A phrase cannot contain its own closing quote character. Limits: 10,000 characters per
  query, 60 nested parentheses, `NEAR/100`.
- Mistakes are reported with their position, e.g. `unexpected ')' at position 14`.

Examples:

    (acme OR 艾克美 OR "acme corp") AND (recall OR 召回 OR 过敏) -招聘
    "acme phone" NEAR/4 (explode OR battery OR 爆炸) lang:en
    (艾克美 OR 艾克美集團) source:weibo NOT author:@acme_official
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from classifiers.normalise import collapse_ws, normalise

MAX_QUERY_CHARS = 10_000
MAX_DEPTH = 60
MAX_NEAR = 100
FIELDS = ("source", "author", "lang")

_OPEN_PARENS = "(（"
_CLOSE_PARENS = ")）"
_QUOTES = {'"': '"', "“": '”"', "”": '”"', "「": "」", "『": "』"}
_DELIMS = frozenset(_OPEN_PARENS + _CLOSE_PARENS + "".join(_QUOTES))
_OPERATORS = ("AND", "OR", "NOT")
_LANG_RE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{1,8})*\*?")
_NEAR_RE = re.compile(r"NEAR/(\d{1,6})")


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; `position` is the 0-based character offset."""

    def __init__(
        self, reason: str, *, position: int, query: str, entity_id: str | None = None
    ) -> None:
        self.reason = reason
        self.position = position
        self.query = query
        self.entity_id = entity_id
        message = f"{reason} at position {position}"
        if entity_id is not None:
            message = f"entity {entity_id!r}: {message}"
        super().__init__(message)

    def for_entity(self, entity_id: str) -> QuerySyntaxError:
        """Return the same error with the entity id named in its message."""
        return QuerySyntaxError(
            self.reason, position=self.position, query=self.query, entity_id=entity_id
        )


# ---------------------------------------------------------------- AST


@dataclass(frozen=True)
class Term:
    """A word, CJK string or phrase; `text` is normalised (see classifiers.normalise.normalise)."""

    text: str
    raw: str
    position: int


@dataclass(frozen=True)
class Field:
    """A filter on document metadata: name in FIELDS, value normalised."""

    name: str
    value: str
    position: int


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Near:
    """Two operands (each a Term or an Or of Terms) at most `distance` tokens apart."""

    left: Node
    right: Node
    distance: int
    position: int


Node = Term | Field | Not | And | Or | Near


def positive_terms(node: Node, negated: bool = False) -> list[Term]:
    """Return the terms that count in favour of a match (under an even number of NOTs)."""
    if isinstance(node, Term):
        return [] if negated else [node]
    if isinstance(node, Not):
        return positive_terms(node.child, not negated)
    if isinstance(node, Near):
        return positive_terms(node.left, negated) + positive_terms(node.right, negated)
    if isinstance(node, And | Or):
        return [t for child in node.children for t in positive_terms(child, negated)]
    return []


def normalise_field(name: str, value: str) -> str:
    """Return a field value (from a query or a document) in its comparison form."""
    value = normalise(value).strip()
    if name == "author":
        value = value.lstrip("@")
    elif name == "lang":
        value = value.replace("_", "-")
    return value


def describe_syntax() -> str:
    """Return the query language reference (markdown) for the README and the CLI."""
    assert __doc__ is not None
    return __doc__.split("Query language reference\n========================\n", 1)[1].strip()


# ---------------------------------------------------------------- lexer


@dataclass(frozen=True)
class _Tok:
    kind: str  # WORD PHRASE FIELD LPAREN RPAREN AND OR NOT NEAR MINUS EOF
    pos: int
    text: str = ""
    value: str = ""
    number: int = 0


def _read_quoted(query: str, start: int) -> tuple[str, int]:
    """Return (content, index after the closing quote) for the quote at start."""
    closers = _QUOTES[query[start]]
    i = start + 1
    while i < len(query) and query[i] not in closers:
        i += 1
    if i >= len(query):
        raise QuerySyntaxError("unterminated quote starting", position=start, query=query)
    return query[start + 1 : i], i + 1


def _lex(query: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in _OPEN_PARENS:
            toks.append(_Tok("LPAREN", i, ch))
            i += 1
        elif ch in _CLOSE_PARENS:
            toks.append(_Tok("RPAREN", i, ch))
            i += 1
        elif ch in _QUOTES:
            content, end = _read_quoted(query, i)
            toks.append(_Tok("PHRASE", i, content))
            i = end
        elif ch == "-" and (i + 1 >= n or query[i + 1].isspace() or query[i + 1] in ")）-"):
            raise QuerySyntaxError(
                "'-' must be followed by a term, e.g. -spam,", position=i, query=query
            )
        elif ch == "-":
            toks.append(_Tok("MINUS", i, ch))
            i += 1
        else:
            i = _lex_word(query, i, toks)
    toks.append(_Tok("EOF", n))
    return toks


def _lex_word(query: str, start: int, toks: list[_Tok]) -> int:
    i, n = start, len(query)
    while i < n and not query[i].isspace() and query[i] not in _DELIMS:
        if query[i] in ":：" and query[start:i].isascii() and query[start:i].isalpha():
            return _lex_field(query, start, i, toks)
        i += 1
    word = query[start:i]
    upper = word.upper()
    if word in _OPERATORS:
        toks.append(_Tok(word, start, word))
    elif upper in _OPERATORS or (upper.startswith("NEAR/") and not word.startswith("NEAR")):
        raise QuerySyntaxError(
            f"operators must be in capitals: write {upper}, or quote "
            f'"{word}" to search for the word,',
            position=start,
            query=query,
        )
    elif word == "NEAR" or word.startswith("NEAR/"):
        toks.append(_near_token(query, start, word))
    else:
        toks.append(_Tok("WORD", start, word))
    return i


def _near_token(query: str, start: int, word: str) -> _Tok:
    near = _NEAR_RE.fullmatch(word)
    if near is None:
        raise QuerySyntaxError("NEAR needs a number, e.g. NEAR/3,", position=start, query=query)
    distance = int(near.group(1))
    if distance > MAX_NEAR:
        raise QuerySyntaxError(
            f"NEAR distance must be at most {MAX_NEAR},", position=start, query=query
        )
    return _Tok("NEAR", start, word, number=distance)


def _lex_field(query: str, start: int, colon: int, toks: list[_Tok]) -> int:
    name = query[start:colon].lower()
    if name not in FIELDS:
        raise QuerySyntaxError(
            f"unknown field {query[start:colon]!r} (known: source, author, lang; "
            "quote the text to search for it)",
            position=start,
            query=query,
        )
    i = colon + 1
    if i < len(query) and query[i] in _QUOTES:
        value, i = _read_quoted(query, i)
    else:
        j = i
        while j < len(query) and not query[j].isspace() and query[j] not in _DELIMS:
            j += 1
        value, i = query[i:j], j
    norm = normalise_field(name, value)
    if not norm:
        raise QuerySyntaxError(
            f"{name}: needs a value, e.g. {name}:{_EXAMPLE[name]},", position=start, query=query
        )
    if name == "lang" and not _LANG_RE.fullmatch(norm):
        raise QuerySyntaxError(
            "lang: expects a language code such as zh, en or zh-tw,", position=start, query=query
        )
    toks.append(_Tok("FIELD", start, name, value=norm))
    return i


_EXAMPLE = {"source": "weibo", "author": "@name", "lang": "zh"}


# ---------------------------------------------------------------- parser


class _Parser:
    def __init__(self, query: str, toks: list[_Tok]) -> None:
        self.query = query
        self.toks = toks
        self.i = 0
        self.depth = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, reason: str, position: int) -> QuerySyntaxError:
        return QuerySyntaxError(reason, position=position, query=self.query)

    def unexpected(self, tok: _Tok, after: _Tok | None) -> QuerySyntaxError:
        if tok.kind == "EOF":
            what = f"after {after.text!r}" if after is not None else ""
            return self.fail(f"unexpected end of query {what}".strip(), tok.pos)
        return self.fail(f"unexpected {tok.text!r}", tok.pos)

    def parse(self) -> Node:
        if self.peek().kind == "EOF":
            raise self.fail("empty query", 0)
        node = self.or_expr()
        tok = self.peek()
        if tok.kind != "EOF":
            raise self.unexpected(tok, None)
        return node

    def or_expr(self, after: _Tok | None = None) -> Node:
        parts = [self.and_expr(after)]
        while self.peek().kind == "OR":
            op = self.take()
            parts.append(self.and_expr(op))
        return _flat(Or, parts)

    def and_expr(self, after: _Tok | None) -> Node:
        parts = [self.unary(after)]
        while True:
            tok = self.peek()
            if tok.kind == "AND":
                self.take()
                parts.append(self.unary(tok))
            elif tok.kind in ("WORD", "PHRASE", "FIELD", "LPAREN", "NOT", "MINUS"):
                parts.append(self.unary(None))
            else:
                return _flat(And, parts)

    def unary(self, after: _Tok | None) -> Node:
        negations = 0
        tok = self.peek()
        while tok.kind in ("NOT", "MINUS"):
            after = self.take()
            negations += 1
            tok = self.peek()
        node = self.near(after)
        # NOT NOT a is a; folding keeps the tree shallow whatever the input.
        return Not(node) if negations % 2 else node

    def near(self, after: _Tok | None) -> Node:
        left = self.primary(after)
        tok = self.peek()
        if tok.kind != "NEAR":
            return left
        self.take()
        right = self.primary(tok)
        if self.peek().kind == "NEAR":
            raise self.fail(
                "NEAR cannot be chained; write (a NEAR/2 b) AND (b NEAR/3 c)", self.peek().pos
            )
        self._check_near_operand(left, tok.pos)
        self._check_near_operand(right, tok.pos)
        return Near(left, right, tok.number, tok.pos)

    def _check_near_operand(self, node: Node, position: int) -> None:
        terms = node.children if isinstance(node, Or) else (node,)
        for term in terms:
            if not isinstance(term, Term):
                raise self.fail("NEAR must join terms, phrases or (a OR b) groups", position)
            if not any(c.isalnum() for c in term.text):
                raise self.fail(
                    f"NEAR operand {term.raw!r} has no letters or digits", term.position
                )

    def primary(self, after: _Tok | None) -> Node:
        tok = self.take()
        if tok.kind in ("WORD", "PHRASE"):
            return self.term(tok)
        if tok.kind == "FIELD":
            return Field(tok.text, tok.value, tok.pos)
        if tok.kind == "LPAREN":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.fail(f"more than {MAX_DEPTH} nested parentheses", tok.pos)
            if self.peek().kind == "RPAREN":
                raise self.fail("empty parentheses", tok.pos)
            node = self.or_expr(tok)
            close = self.peek()
            if close.kind != "RPAREN":
                if close.kind == "EOF":
                    raise self.fail("missing ')' for the '('", tok.pos)
                raise self.unexpected(close, None)
            self.take()
            self.depth -= 1
            return node
        self.i -= 1
        raise self.unexpected(tok, after)

    def term(self, tok: _Tok) -> Term:
        text = collapse_ws(normalise(tok.text))
        if not text:
            what = "empty phrase" if tok.kind == "PHRASE" else "term has no visible characters"
            raise self.fail(what, tok.pos)
        return Term(text, tok.text, tok.pos)


def _flat(kind: type[And] | type[Or], parts: list[Node]) -> Node:
    if len(parts) == 1:
        return parts[0]
    flat: list[Node] = []
    for part in parts:
        flat.extend(part.children if isinstance(part, kind) else (part,))
    return kind(tuple(flat))


def parse_query(query: str) -> Node:
    """Parse a watchlist query into its AST; raise QuerySyntaxError on any mistake."""
    if len(query) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(
            f"query longer than {MAX_QUERY_CHARS} characters", position=MAX_QUERY_CHARS, query=query
        )
    return _Parser(query, _lex(query)).parse()
