"""Decoding export files line by line, so one badly encoded line costs one row, not the file.

Encodings handled: UTF-8 (with or without BOM), GB18030 (and so GBK/GB2312, its subsets) and
UTF-16 with a BOM (Excel's "Unicode text"). Splitting bytes on ``\\n`` before decoding is safe
for UTF-8 and GB18030: neither uses 0x0A inside a multi-byte character.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from monitor.collectors.base import CollectorError

SNIFF_BYTES = 64 * 1024
# A longer physical line is quarantined unread (as an empty line), so memory stays bounded
# whatever the file holds; the CSV field limit is as large.
MAX_LINE_BYTES = 16 * 1024 * 1024
_GB_CODECS = {"gbk", "gb2312", "gb18030", "cp936", "euc_cn"}
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


@dataclass(frozen=True, slots=True)
class Encoding:
    """How a file's bytes become text."""

    codec: str  # Python codec name used for each line
    fallback: str | None  # tried on a line the codec rejects (only when detected, not declared)
    declared: bool
    bom: int  # bytes of byte-order mark to skip at the start
    line_wise: bool  # False: decode as a stream (UTF-16/32, or old-Mac CR-only line ends)

    @property
    def order(self) -> tuple[str, ...]:
        """Codecs to try on each line, in turn."""
        return ("utf-8", "gb18030") if self.fallback is not None else (self.codec,)

    def describe_fallback(self, used: str) -> str:
        """The warning on a row with a line decoded with ``used`` instead of the file's codec."""
        return f"decoded as {used.upper()}, not {self.codec.upper()} like the rest of the file"

    def describe_failure(self, position: int) -> str:
        """The quarantine message for undecodable bytes at file offset ``position``."""
        names = self.codec if self.fallback is None else f"{self.codec} or {self.fallback}"
        why = "declared encoding wrong?" if self.declared else "file mixes encodings?"
        return f"not valid {names} at byte {position} ({why})"


def _canonical(name: str, location: str) -> str:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise CollectorError(f"{location}: unknown encoding {name!r:.40}") from None
    # GB18030 decodes every GBK/GB2312 byte sequence the same way and more besides.
    return "gb18030" if codec.replace("-", "_") in _GB_CODECS else codec


def choose_encoding(head: bytes, declared: str | None, location: str) -> Encoding:
    """The encoding for a file starting with ``head``: the declared one, else detected."""
    cr_only = b"\r" in head and b"\n" not in head
    if head.startswith(_UTF16_BOMS) and not head.startswith(codecs.BOM_UTF8):
        codec = _canonical(declared, location) if declared else "utf-16"
        if not declared and head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            codec = "utf-32"
        return Encoding(codec, None, declared is not None, 0, line_wise=False)
    bom = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    if declared:
        codec = _canonical(declared, location)
        if codec == "utf-8-sig":
            codec = "utf-8"
        if codec != "utf-8":
            bom = 0
        wide = codec.startswith(("utf-16", "utf-32"))
        return Encoding(codec, None, True, bom, line_wise=not (cr_only or wide))
    if bom:
        return Encoding("utf-8", None, False, bom, line_wise=not cr_only)
    if _mostly_gb18030(head):
        return Encoding("gb18030", "utf-8", False, 0, line_wise=not cr_only)
    return Encoding("utf-8", "gb18030", False, 0, line_wise=not cr_only)


def _mostly_gb18030(head: bytes) -> bool:
    """True when more of the lines of ``head`` with non-ASCII bytes are not UTF-8 than are."""
    lines = head.split(b"\n")
    if len(lines) == 1:  # one line cut anywhere, even inside a character
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except UnicodeDecodeError:
            return True
        return False
    utf8 = other = 0
    for raw in lines[:-1]:  # the last may stop inside a character
        if raw.isascii():
            continue
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            other += 1
        else:
            utf8 += 1
    return other > utf8


class LineSource:
    """Decoded physical lines of a binary file; undecodable lines are recorded, not raised.

    ``offset`` is the byte offset just past the last line handed out, so a consumer that
    pulls lines lazily (``csv.reader``) can tell which bytes a record came from. ``bad``
    maps the byte offset of each undecodable line's start to its quarantine message, and
    ``fallen`` that of each line decoded with another codec than the file's to that codec.
    """

    def __init__(self, fh: BinaryIO, encoding: Encoding) -> None:
        self.fh = fh
        self.encoding = encoding
        self.offset: int | None = encoding.bom if encoding.line_wise else None
        self.bad: dict[int, str] = {}
        self.fallen: dict[int, str] = {}
        self.at_eof = False

    def lines(self, *, sentinel: str | None = None) -> Iterator[str]:
        """Each line with its line ending; then ``sentinel`` once if given."""
        if self.encoding.line_wise:
            yield from self._line_wise()
        else:
            self.fh.seek(0)
            text = io.TextIOWrapper(
                self.fh, encoding=self.encoding.codec, errors="replace", newline=""
            )
            try:
                yield from text
            finally:
                text.detach()
        self.at_eof = True
        if sentinel is not None:
            yield sentinel

    def _line_wise(self) -> Iterator[str]:
        first, *rest = self.encoding.order
        utf8_odd = first != self.encoding.codec  # a GB18030 file: its UTF-8 lines are odd
        self.fh.seek(self.encoding.bom)
        offset = self.encoding.bom
        readline = self.fh.readline
        while raw := readline(MAX_LINE_BYTES):
            if len(raw) == MAX_LINE_BYTES and raw[-1:] != b"\n":
                size = len(raw) + self._skip_line()
                self.bad[offset] = f"line of over {MAX_LINE_BYTES // 2**20} MB (not a text export?)"
                offset += size
                self.offset = offset
                yield "\n"
                continue
            try:
                line = raw.decode(first)
            except UnicodeDecodeError as exc:
                line = self._recover(raw, offset, exc, rest)
            else:
                if utf8_odd and not raw.isascii():
                    self.fallen[offset] = first
            offset += len(raw)
            self.offset = offset
            yield line

    def _skip_line(self) -> int:
        """Read past the rest of an overlong line, piece by piece; how many bytes it had."""
        size = 0
        while piece := self.fh.readline(MAX_LINE_BYTES):
            size += len(piece)
            if piece[-1:] == b"\n":
                break
        return size

    def _recover(self, raw: bytes, offset: int, exc: UnicodeDecodeError, rest: list[str]) -> str:
        for codec in rest:
            try:
                line = raw.decode(codec)
            except UnicodeDecodeError:
                continue
            if codec != self.encoding.codec:
                self.fallen[offset] = codec
            return line
        self.bad[offset] = self.encoding.describe_failure(offset + exc.start)
        return raw.decode(self.encoding.codec, errors="replace")

    def take_bad(self, start: int | None, end: int | None) -> str | None:
        """The first decoding failure among lines starting in [start, end), forgetting them."""
        return _take(self.bad, start, end)

    def take_fallen(self, start: int | None, end: int | None) -> str | None:
        """The warning for lines starting in [start, end) decoded with another codec than the
        file's, forgetting them; None when there are none."""
        used = _take(self.fallen, start, end)
        return None if used is None else self.encoding.describe_fallback(used)


def _take(found: dict[int, str], start: int | None, end: int | None) -> str | None:
    """The value of the first key in [start, end), deleting every key in that range."""
    if not found or start is None or end is None:
        return None
    hits = sorted(pos for pos in found if start <= pos < end)
    if not hits:
        return None
    value = found[hits[0]]
    for pos in hits:
        del found[pos]
    return value


class ChunkSource:
    """Decoded text of a binary file in chunks of bounded size, for formats without lines.

    A chunk that does not decode (or, in a GB18030 file, any chunk that is not ASCII) is
    decoded again line by line, each line with the codecs of ``Encoding.order`` in turn; a
    line decoded with another codec than the file's has its 1-based physical line number
    recorded in ``fallen_lines``, and one that still fails is decoded with replacement
    characters and recorded in ``bad_lines``.
    """

    def __init__(self, fh: BinaryIO, encoding: Encoding, chunk_bytes: int = 256 * 1024) -> None:
        self.fh = fh
        self.encoding = encoding
        self.chunk_bytes = chunk_bytes
        self.bad_lines: dict[int, str] = {}
        self.fallen_lines: dict[int, str] = {}

    def chunks(self) -> Iterator[str]:
        """Successive pieces of text; their concatenation is the file's text."""
        enc = self.encoding
        self.fh.seek(enc.bom)
        if not enc.line_wise:
            stream = io.TextIOWrapper(self.fh, encoding=enc.codec, errors="replace")
            try:
                while piece := stream.read(self.chunk_bytes):
                    yield piece
            finally:
                stream.detach()
            return
        first = enc.order[0]
        utf8_odd = first != enc.codec  # a GB18030 file: its UTF-8 lines are odd
        decoder = codecs.getincrementaldecoder(first)()
        offset, newlines = enc.bom, 0  # offset: file position of the next byte read
        carry = b""  # the end of a line, cut inside a character, left by ``_line_by_line``
        while True:
            data = self.fh.read(self.chunk_bytes)
            final = not data
            held = carry or decoder.getstate()[0]  # bytes read before, not decoded yet
            start = offset - len(held)
            offset += len(data)
            text: str | None = None
            if not carry and not (utf8_odd and not data.isascii()):
                try:
                    text = decoder.decode(data, final=final)
                except UnicodeDecodeError:
                    decoder.reset()
            if text is None:
                text, carry = self._line_by_line(held + data, start, newlines, final)
            newlines += text.count("\n")
            if text:
                yield text
            if final:
                return

    def _line_by_line(
        self, data: bytes, offset: int, newlines: int, final: bool
    ) -> tuple[str, bytes]:
        """``data`` decoded line by line, and the bytes of a character cut at its end."""
        parts: list[str] = []
        carry = b""
        pieces = data.split(b"\n")
        for index, raw in enumerate(pieces):
            last = index == len(pieces) - 1
            piece = raw if last else raw + b"\n"
            line = newlines + 1 + index
            for codec in self.encoding.order:
                decoder = codecs.getincrementaldecoder(codec)()
                try:
                    parts.append(decoder.decode(piece, final=final or not last))
                except UnicodeDecodeError as exc:
                    failure = exc
                    continue
                if last:
                    carry = decoder.getstate()[0]
                if codec != self.encoding.codec and not piece.isascii():
                    self.fallen_lines.setdefault(line, codec)
                break
            else:
                where = offset + failure.start
                self.bad_lines.setdefault(line, self.encoding.describe_failure(where))
                parts.append(piece.decode(self.encoding.codec, errors="replace"))
            offset += len(piece)
        return "".join(parts), carry
