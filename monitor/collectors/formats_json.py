"""Streaming JSON readers: JSON Lines, and a top-level array read item by item.

The array reader keeps one bounded window of text and decodes one item at a time with
``json.JSONDecoder.raw_decode``, so a large export is never held in memory at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

from monitor.collectors.base import CollectorError, RawItem, Rejected
from monitor.collectors.export_rows import RowBuilder
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
        yield builder.build(builder.plan_for_object(obj), obj, line, offset)


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


def _items(cur: _Cursor) -> Iterator[tuple[Any, int, int]]:
    """(value, start pos, end pos) of each item of the array whose '[' was just consumed."""
    if cur.peek() == "]":
        cur.pos += 1
        return
    while True:
        obj, start = cur.value()
        yield obj, start, cur.pos
        if cur.expect(",]", "',' or ']' after an item") == "]":
            return


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

    ``line`` on items is the 1-based item number, so resuming works on single-line files;
    a syntax error is quarantined naming its physical line and column, and reading stops.
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
        for obj, start, end in _items(cur):
            number += 1
            if number <= start_line:
                continue
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
            yield builder.build(builder.plan_for_object(obj), obj, number, None)
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


def _bad_between(bad_lines: dict[int, str], first: int, last: int) -> str | None:
    hits = [line for line in bad_lines if first <= line <= last]
    return bad_lines[min(hits)] if hits else None
