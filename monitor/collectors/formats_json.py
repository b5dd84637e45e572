"""Streaming JSON readers: JSON Lines, and a top-level array read item by item.

The array reader keeps one bounded window of text and decodes one item at a time with
``json.JSONDecoder.raw_decode``, so a large export is never held in memory at once. An item
that is not valid JSON costs that item only: reading resumes at the next one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO, NamedTuple

from monitor.collectors.base import CollectorError, RawItem, Rejected
from monitor.collectors.export_rows import EXCERPT, RowBuilder
from monitor.collectors.export_text import ChunkSource, Encoding, LineSource

LIST_KEYS = (
    "data",
    "items",
    "statuses",
    "comments",
    "results",
    "records",
    "rows",
    "posts",
    "entries",
    "tweets",
    "list",
)
MAX_ITEM_CHARS = 16 * 1024 * 1024  # one item larger than this is refused (and reading stops)
_COMPACT_AT = 1024 * 1024
_WHITESPACE = re.compile(r"[ \t\r\n]*")
_STRUCTURE = re.compile(r'[\\"\[\]{},\n]')  # what moves the skip over a broken item


def read_jsonl(
    fh: BinaryIO, *, encoding: Encoding, builder: RowBuilder, start_line: int
) -> Iterator[RawItem | Rejected]:
    """One object per physical line; a bad line is quarantined and the next one goes on."""
    source = LineSource(fh, encoding)
    loads = json.loads
    line, end_offset = 0, source.offset
    for text in source.lines():
        line += 1
        offset, end_offset = end_offset, source.offset
        fallen = source.take_fallen(offset, end_offset) if source.fallen else None
        if line <= start_line:
            if source.bad:
                source.take_bad(offset, end_offset)
            continue
        if source.bad:
            bad = source.take_bad(offset, end_offset)
            if bad is not None:
                yield builder.reject(line=line, offset=offset, raw=text, error=bad)
                continue
        stripped = text.strip()
        if not stripped:
            continue
        try:
            obj = loads(stripped)
        except json.JSONDecodeError as exc:
            yield builder.reject(
                line=line,
                offset=offset,
                raw=stripped,
                error=f"JSON syntax error: {exc.msg} (column {exc.colno})",
            )
            continue
        except RecursionError:
            yield builder.reject(
                line=line, offset=offset, raw=stripped, error="JSON syntax error: nested too deeply"
            )
            continue
        if not isinstance(obj, dict):
            yield builder.reject(
                line=line,
                offset=offset,
                raw=stripped,
                error=f"expected a JSON object, got {type(obj).__name__}",
            )
            continue
        item = builder.build(builder.plan_for_object(obj), obj, line, offset)
        if fallen is not None and type(item) is RawItem:
            item.warning = fallen if item.warning is None else f"{fallen}; {item.warning}"
        yield item


def looks_like_jsonl(head: str) -> bool:
    """True when the first two non-blank lines of ``head`` are each a whole JSON object."""
    lines = [ln for ln in head.lstrip("\ufeff").splitlines()[:50] if ln.strip()][:2]
    if len(lines) < 2:
        return False
    try:
        return all(isinstance(json.loads(ln), dict) for ln in lines)
    except (ValueError, RecursionError):
        return False


class _Syntax(Exception):
    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message


class _Cursor:
    """A window over the decoded text, with a position and lazily counted line numbers."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self.chunks = chunks
        self.buf = ""
        self.pos = 0
        self.eof = False
        self._counted_pos = 0
        self._counted_line = 1
        self._decode = json.JSONDecoder().raw_decode

    def fill(self, want: int = 1) -> None:
        if self.pos > _COMPACT_AT:
            self.line_at(self.pos)
            self.buf = self.buf[self.pos :]
            self._counted_pos -= self.pos
            self.pos = 0
        added: list[str] = []
        size = 0
        while size < want:
            piece = next(self.chunks, None)
            if piece is None:
                self.eof = True
                break
            added.append(piece)
            size += len(piece)
        self.buf += "".join(added)

    def line_at(self, pos: int) -> int:
        """1-based line of ``pos``; positions must be asked for in increasing order."""
        if pos > self._counted_pos:
            self._counted_line += self.buf.count("\n", self._counted_pos, pos)
            self._counted_pos = pos
        return self._counted_line

    def column_at(self, pos: int) -> int:
        return pos - self.buf.rfind("\n", 0, pos)

    def peek(self) -> str | None:
        """The next non-blank character (not consumed), or None at the end of the text."""
        while True:
            match = _WHITESPACE.match(self.buf, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if self.eof:
                return None
            self.fill()

    def expect(self, chars: str, what: str) -> str:
        char = self.peek()
        if char is None or char not in chars:
            found = "end of file" if char is None else repr(char)
            raise _Syntax(self.pos, f"expected {what}, found {found}")
        self.pos += 1
        return char

    def value(self) -> tuple[Any, int]:
        """The JSON value at the cursor and where it started; reads more text as needed."""
        if self.peek() is None:
            raise _Syntax(self.pos, "unexpected end of file")
        start, grow = self.pos, 64 * 1024
        while True:
            try:
                obj, end = self._decode(self.buf, start)
            except json.JSONDecodeError as exc:
                near_end = exc.pos >= len(self.buf) - 16 or exc.msg.startswith("Unterminated")
                if self.eof or not near_end:
                    raise _Syntax(exc.pos, exc.msg) from None
                if len(self.buf) - start > MAX_ITEM_CHARS:
                    raise _Syntax(start, f"item larger than {MAX_ITEM_CHARS} characters") from None
                before = start - self.pos
                self.fill(grow)
                start = self.pos + before
                grow *= 2
                continue
            except RecursionError:
                raise _Syntax(start, "nested too deeply") from None
            if end == len(self.buf) and not self.eof and not isinstance(obj, (dict, list, str)):
                self.fill()  # a number or literal cut by the window may go on
                continue
            self.pos = end
            return obj, start

    def skip_item(self, start: int) -> bool:
        """Move past the broken array item at ``start``: to the next item (True) or past the
        array's ']' (False); False at the end of the text or past ``MAX_ITEM_CHARS`` too.

        The item ends at the first ',' or ']' outside strings and brackets; a string ends at
        a line end (JSON strings hold none), and a line starting at the item's own column with
        '{' starts the next item, so an unclosed string or bracket costs this item only."""
        line_start = self.buf.rfind("\n", 0, start) + 1
        column = start - line_start if not self.buf[line_start:start].strip() else None
        depth, in_string, i = 0, False, start
        while True:
            match = _STRUCTURE.search(self.buf, i)
            if match is None or match.end() + 1 >= len(self.buf):
                if self.eof:
                    if match is None:
                        return False
                elif len(self.buf) - start > MAX_ITEM_CHARS:
                    return False
                else:
                    before = self.pos
                    self.fill(64 * 1024)
                    start, i = start - (before - self.pos), i - (before - self.pos)
                    continue
            char, i = match.group(), match.end()
            if char == "\n":
                in_string = False
                indent = _WHITESPACE.match(self.buf, i)
                at = indent.end() if indent else i
                if column is not None and at - i == column and self.buf[at : at + 1] == "{":
                    self.pos = at
                    return True
            elif in_string:
                if char == "\\":
                    i += 1
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char in "[{":
                depth += 1
            elif char in "]}" and depth > 0:
                depth -= 1
            elif char == "," and depth == 0:
                self.pos = i
                return True
            elif char == "]":
                self.pos = i
                return False


class _Broken(NamedTuple):
    """An array item that is not valid JSON, described before reading moved past it."""

    message: str  # the parser's message, with the line and column of the error
    excerpt: str
    resumed: bool  # False: the text after it could not be read as items


def _items(cur: _Cursor) -> Iterator[tuple[Any, int, int] | _Broken]:
    """(value, start pos, end pos) of each item of the array whose '[' was just consumed, or
    ``_Broken`` for an item that is not valid JSON (reading goes on after it where it can)."""
    if cur.peek() == "]":
        cur.pos += 1
        return
    while True:
        try:
            obj, start = cur.value()
        except _Syntax as exc:
            start = cur.pos  # a failed value leaves the cursor at its start
            pos = max(exc.pos, start)
            where = f"line {cur.line_at(pos)} column {cur.column_at(pos)}"
            excerpt = cur.buf[start : start + EXCERPT]
            resumed = cur.skip_item(start)
            closed = not resumed and cur.pos > start  # the array's ']' ended the broken item
            yield _Broken(f"{where}: {exc.message}", excerpt, resumed or closed)
            if resumed:
                continue
            return
        yield obj, start, cur.pos
        char = cur.peek()
        if char == "]":
            cur.pos += 1
            return
        if char == ",":
            cur.pos += 1
        elif char != "{":  # an object right after an item only lacks its ',': read it
            cur.expect(",]", "',' or ']' after an item")


def _members_list(cur: _Cursor, location: str) -> bool:
    """Advance into the first list under a common key of the object whose '{' was consumed."""
    seen: list[str] = []
    if cur.peek() == "}":
        cur.pos += 1
    else:
        while True:
            key, _ = cur.value()
            if not isinstance(key, str):
                raise _Syntax(cur.pos, "expected a property name")
            cur.expect(":", "':'")
            if key.casefold() in LIST_KEYS and cur.peek() == "[":
                cur.pos += 1
                return True
            cur.value()  # some other member: decoded and dropped
            seen.append(key)
            if cur.expect(",}", "',' or '}'") == "}":
                break
    raise CollectorError(
        f"{location}: the top-level JSON object has no list under any of "
        f"{', '.join(LIST_KEYS)} (keys: {', '.join(seen)[:200] or 'none'})"
    )


def read_json(
    fh: BinaryIO, *, encoding: Encoding, builder: RowBuilder, start_line: int
) -> Iterator[RawItem | Rejected]:
    """Items of a top-level array (or of a list under a common key of a top-level object).

    ``line`` on items is the 1-based item number, so resuming works on single-line files.
    An item with a syntax error is quarantined naming the physical line and column of the
    error, and reading resumes at the next item (see ``_Cursor.skip_item``); a syntax error
    outside the items is quarantined the same way, and reading stops there.
    """
    source = ChunkSource(fh, encoding)
    cur = _Cursor(source.chunks())
    number = 0
    try:
        first = cur.peek()
        if first is None:
            return
        if first == "{":
            cur.pos += 1
            _members_list(cur, builder.location)
        elif first == "[":
            cur.pos += 1
        else:
            raise _Syntax(cur.pos, "expected a JSON array or object")
        for entry in _items(cur):
            number += 1
            if isinstance(entry, _Broken):
                if number > start_line:
                    then = "skipped to the next item" if entry.resumed else "the rest was not read"
                    yield builder.reject(
                        line=number,
                        offset=None,
                        raw=entry.excerpt,
                        error=f"JSON syntax error at {entry.message} ({then})",
                    )
                continue
            if number <= start_line:
                continue
            obj, start, end = entry
            fallen = None
            if source.fallen_lines:
                used = _take_lines(source.fallen_lines, cur.line_at(start), cur.line_at(end))
                fallen = None if used is None else source.encoding.describe_fallback(used)
            if source.bad_lines:
                problem = _bad_between(source.bad_lines, cur.line_at(start), cur.line_at(end))
                if problem is not None:
                    yield builder.reject(line=number, offset=None, raw=obj, error=problem)
                    continue
            if not isinstance(obj, Mapping):
                yield builder.reject(
                    line=number,
                    offset=None,
                    raw=obj,
                    error=f"expected a JSON object, got {type(obj).__name__}",
                )
                continue
            item = builder.build(builder.plan_for_object(obj), obj, number, None)
            if fallen is not None and type(item) is RawItem:
                item.warning = fallen if item.warning is None else f"{fallen}; {item.warning}"
            yield item
    except _Syntax as exc:
        line = cur.line_at(max(exc.pos, cur._counted_pos))
        where = f"line {line} column {cur.column_at(exc.pos)}"
        excerpt = cur.buf[max(exc.pos - 80, 0) : exc.pos + 80]
        yield Rejected(
            location=builder.location,
            line=line,
            offset=None,
            error=f"{where}: JSON syntax error: {exc.message} (after item {number}); "
            "the rest of the file was not read",
            excerpt=excerpt,
        )


def _take_lines(found: dict[int, str], first: int, last: int) -> str | None:
    """The value for the first line in [first, last], forgetting every line up to ``last``."""
    hits = sorted(line for line in found if line <= last)
    value = next((found[line] for line in hits if line >= first), None)
    for line in hits:
        del found[line]
    return value


def _bad_between(bad_lines: dict[int, str], first: int, last: int) -> str | None:
    hits = [line for line in bad_lines if first <= line <= last]
    return bad_lines[min(hits)] if hits else None
