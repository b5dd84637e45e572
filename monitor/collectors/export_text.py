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
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return Encoding("gb18030", "utf-8", False, 0, line_wise=not cr_only)
    return Encoding("utf-8", "gb18030", False, 0, line_wise=not cr_only)


class LineSource:
    """Decoded physical lines of a binary file; undecodable lines are recorded, not raised.

    ``offset`` is the byte offset just past the last line handed out, so a consumer that
    pulls lines lazily (``csv.reader``) can tell which bytes a record came from. ``bad``
    maps the byte offset of each undecodable line's start to its quarantine message.
    """

    def __init__(self, fh: BinaryIO, encoding: Encoding) -> None:
        self.fh = fh
        self.encoding = encoding
        self.offset: int | None = encoding.bom if encoding.line_wise else None
        self.bad: dict[int, str] = {}
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
        codec, fallback = self.encoding.codec, self.encoding.fallback
        self.fh.seek(self.encoding.bom)
        offset = self.encoding.bom
        for raw in self.fh:
            try:
                line = raw.decode(codec)
            except UnicodeDecodeError as exc:
                line = self._recover(raw, offset, exc, fallback)
            offset += len(raw)
            self.offset = offset
            yield line

    def _recover(
        self, raw: bytes, offset: int, exc: UnicodeDecodeError, fallback: str | None
    ) -> str:
        if fallback is not None:
            try:
                return raw.decode(fallback)
            except UnicodeDecodeError:
                pass
        self.bad[offset] = self.encoding.describe_failure(offset + exc.start)
        return raw.decode(self.encoding.codec, errors="replace")

    def take_bad(self, start: int | None, end: int | None) -> str | None:
        """The first decoding failure among lines starting in [start, end), forgetting them."""
        if not self.bad or start is None or end is None:
            return None
        hits = sorted(pos for pos in self.bad if start <= pos < end)
        if not hits:
            return None
        message = self.bad[hits[0]]
        for pos in hits:
            del self.bad[pos]
        return message


class ChunkSource:
    """Decoded text of a binary file in chunks of bounded size, for formats without lines.

    A chunk that does not decode is decoded again line by line (with the fallback codec, if
    detected, per line); each line that still fails is decoded with replacement characters
    and its 1-based physical line number recorded in ``bad_lines``.
    """

    def __init__(self, fh: BinaryIO, encoding: Encoding, chunk_bytes: int = 256 * 1024) -> None:
        self.fh = fh
        self.encoding = encoding
        self.chunk_bytes = chunk_bytes
        self.bad_lines: dict[int, str] = {}

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
        decoder = codecs.getincrementaldecoder(enc.codec)()
        offset, newlines = enc.bom, 0  # offset: file position of the next byte read
        while True:
            data = self.fh.read(self.chunk_bytes)
            final = not data
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(data, final=final)
            except UnicodeDecodeError:
                decoder.reset()
                text = self._line_by_line(
                    pending + data, offset - len(pending), newlines, final, decoder
                )
            offset += len(data)
            newlines += text.count("\n")
            if text:
                yield text
            if final:
                return

    def _line_by_line(
        self,
        data: bytes,
        offset: int,
        newlines: int,
        final: bool,
        decoder: codecs.IncrementalDecoder,
    ) -> str:
        codec, fallback = self.encoding.codec, self.encoding.fallback
        parts: list[str] = []
        pieces = data.split(b"\n")
        for index, raw in enumerate(pieces):
            last = index == len(pieces) - 1
            piece = raw if last else raw + b"\n"
            try:
                # the last piece may stop inside a character: the decoder keeps that tail
                parts.append(decoder.decode(piece, final=final) if last else piece.decode(codec))
            except UnicodeDecodeError as exc:
                decoder.reset()
                parts.append(self._fallback(piece, fallback, exc, offset, newlines + 1 + index))
            offset += len(piece)
        return "".join(parts)

    def _fallback(
        self, piece: bytes, fallback: str | None, exc: UnicodeDecodeError, offset: int, line: int
    ) -> str:
        if fallback is not None:
            try:
                return piece.decode(fallback)
            except UnicodeDecodeError:
                pass
        self.bad_lines.setdefault(line, self.encoding.describe_failure(offset + exc.start))
        return piece.decode(self.encoding.codec, errors="replace")
