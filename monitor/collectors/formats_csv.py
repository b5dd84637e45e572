"""Streaming CSV/TSV reader: one ``RawItem`` or ``Rejected`` per record, in constant memory.

A quote opened and never closed would swallow every later line into one field. A record whose
quoted field holds lines shaped like whole rows, or that runs over ``MAX_RECORD_LINES`` lines,
is taken for such a runaway: its first line is quarantined and reading resumes at the next
line, so the rows it swallowed are read as rows.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

from monitor.collectors.base import CollectorError, RawItem, Rejected
from monitor.collectors.export_rows import RowBuilder
from monitor.collectors.export_text import Encoding, LineSource

DELIMITERS = ",\t;|"
FIELD_LIMIT = 16 * 1024 * 1024  # bytes per field before csv gives up; text is cut far earlier
_SNIFF_CHARS = 16 * 1024
# Yielded after the last line: if it comes back inside a field, a quote was never closed.
_EOF = "\ufdd0crisiswatch-eof\ufdd0"
# A record over this many physical lines is an unclosed quote, whatever the lines look like;
# one whose quoted field holds _ROW_SHAPED lines shaped like whole rows is one sooner.
MAX_RECORD_LINES = 200
_ROW_SHAPED = 2


def _fit(sample: str, delimiter: str) -> tuple[float, int]:
    """How well ``delimiter`` splits ``sample``: share of rows as wide as the header, width."""
    try:
        rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r]
    except csv.Error:
        return 0.0, 0
    if len(rows) > 2:
        rows = rows[:-1]  # the sample may end inside a record
    width = len(rows[0]) if rows else 0
    if width < 2:
        return 0.0, width
    return sum(len(r) == width for r in rows) / len(rows), width


def sniff_delimiter(sample: str, *, default: str = ",") -> str:
    """The delimiter among , TAB ; | that splits ``sample`` into the most consistent rows."""
    cut = sample.rfind("\n")
    sample = sample[: cut + 1] if cut > 0 else sample
    try:
        guess: str | None = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        guess = None
    fits = {d: _fit(sample, d) for d in DELIMITERS}
    if guess in fits and fits[guess][0] >= 0.9:
        return guess
    best = max(DELIMITERS, key=lambda d: fits[d])
    return best if fits[best][0] > 0 else default


def _sample(fh: BinaryIO, encoding: Encoding) -> str:
    fh.seek(encoding.bom)
    head = fh.read(_SNIFF_CHARS * 2)
    fh.seek(0)
    return head.decode(encoding.codec, errors="replace")[:_SNIFF_CHARS]


class _Runaway(Exception):
    """A record ran over ``MAX_RECORD_LINES`` physical lines before it was complete."""


class _Lines:
    """The physical lines fed to ``csv.reader``, kept until the record they form is done, so a
    runaway record (a quote never closed) can be read again from its second line."""

    def __init__(self, source: LineSource) -> None:
        self._source = source
        self._fresh = source.lines(sentinel=_EOF)
        self._again: list[tuple[str, int | None]] = []  # lines to hand out again, last first
        self.taken: list[tuple[str, int | None]] = []  # the record's lines, offset after each
        self.line = 0  # number of the last line handed out
        self.start = self.offset = source.offset  # byte offsets: record start, after last line

    def __iter__(self) -> Iterator[str]:
        """Lines from where the last record ended; a new iterator after ``_Runaway``."""
        taken, again, fresh, source = self.taken, self._again, self._fresh, self._source
        while True:
            if again:
                text, end = again.pop()
            else:
                read = next(fresh, None)
                if read is None:
                    return
                text, end = read, source.offset
            taken.append((text, end))
            self.line += 1
            self.offset = end
            if len(taken) > MAX_RECORD_LINES:
                raise _Runaway
            yield text

    @property
    def first(self) -> int:
        """Number of the record's first line."""
        return self.line - len(self.taken) + 1

    @property
    def at_eof(self) -> bool:
        return bool(self.taken) and self.taken[-1][0] is _EOF

    def next_record(self) -> None:
        self.taken.clear()
        self.start = self.offset

    def again_after_first(self) -> None:
        """Forget the record, but hand out its lines after the first once more."""
        rest = self.taken[1:]
        self._again.extend(reversed(rest))
        self.line -= len(rest)
        self.offset = self.taken[0][1]
        self.next_record()


def _row_shaped(lines: list[tuple[str, int | None]], delimiter: str, width: int) -> int:
    """How many of ``lines``, each read on its own, split into exactly ``width`` fields."""
    if width < 3:
        return 0  # in a two-column file any line with one delimiter would look like a row
    count = 0
    for text, _ in lines:
        with contextlib.suppress(csv.Error):
            count += len(next(csv.reader((text,), delimiter=delimiter), ())) == width
    return count


def read_csv(
    fh: BinaryIO,
    *,
    encoding: Encoding,
    delimiter: str | None,
    builder: RowBuilder,
    start_line: int,
) -> Iterator[RawItem | Rejected]:
    """Records of a delimited file; line numbers count physical lines, the header included."""
    if csv.field_size_limit() < FIELD_LIMIT:
        csv.field_size_limit(FIELD_LIMIT)
    if delimiter is None:
        delimiter = sniff_delimiter(_sample(fh, encoding))
    source = LineSource(fh, encoding)
    lines = _Lines(source)
    reader = csv.reader(lines, delimiter=delimiter)
    take_bad = source.take_bad

    header: list[str] | None = None
    try:
        for row in reader:
            header_line = lines.first
            if lines.at_eof:
                return  # no header before the end: an empty file
            lines.next_record()
            if any(field.strip() for field in row):
                header = row
                break
    except _Runaway:
        raise CollectorError(
            f"{builder.location}: line {lines.first}: the header opens a quoted field that is "
            f"not closed within {MAX_RECORD_LINES} lines (unclosed quote?)"
        ) from None
    if header is None:
        return
    header_problem = take_bad(0, lines.offset)
    source.take_fallen(0, lines.offset)
    try:
        plan = builder.plan_for_header(header, line=header_line)
    except CollectorError as exc:
        if header_problem is None:
            raise
        raise CollectorError(f"{exc}; the header is {header_problem}") from None
    named = [i for i, name in enumerate(header) if name.strip()]
    width, full = named[-1] + 1, len(header)
    build, reject = builder.build, builder.reject
    taken = lines.taken

    def runaway(why: str) -> Rejected | None:
        """Quarantine the record's first line, and read its other lines again."""
        line, offset, raw = lines.first, lines.start, taken[0][0]
        take_bad(offset, taken[0][1])
        source.take_fallen(offset, taken[0][1])
        lines.again_after_first()
        if line <= start_line:
            return None
        return reject(
            line=line,
            offset=offset,
            raw=raw,
            error=f"quoted field opened on this line {why} (unclosed quote?); "
            f"read again from line {line + 1}",
        )

    while True:
        try:
            for row in reader:
                spans = len(taken)
                line, offset, end_offset = lines.line - spans + 1, lines.start, lines.offset
                eof = taken[-1][0] is _EOF
                if spans > 2 + eof:  # a field spans lines: is it a runaway?
                    shaped = _row_shaped(taken[1:-1], delimiter, full)
                    if shaped >= _ROW_SHAPED:
                        why = f"runs over {spans - eof} lines, {shaped} of them shaped like rows"
                        if (rejected := runaway(why)) is not None:
                            yield rejected
                        break  # a fresh reader: this one is inside the runaway field
                taken.clear()
                lines.start = end_offset
                if eof:
                    if row != [_EOF] and line > start_line:
                        raw = [f.replace(_EOF, "") for f in row]
                        yield reject(
                            line=line,
                            offset=offset,
                            raw=raw,
                            error="unterminated quoted field at end of file (truncated file?)",
                        )
                    return
                fallen = source.take_fallen(offset, end_offset) if source.fallen else None
                if line <= start_line:
                    if source.bad:
                        take_bad(offset, end_offset)
                    continue
                if source.bad:
                    bad = take_bad(offset, end_offset)
                    if bad is not None:
                        yield reject(line=line, offset=offset, raw=row, error=bad)
                        continue
                size = len(row)
                if size != full:
                    if not any(row):
                        continue  # a blank line, or a row of empty cells
                    if size < width:
                        yield reject(
                            line=line,
                            offset=offset,
                            raw=row,
                            error=f"row has {size} fields, the header has {full} (truncated row?)",
                        )
                        continue
                    if size > full and any(f.strip() for f in row[full:]):
                        yield reject(
                            line=line,
                            offset=offset,
                            raw=row,
                            error=f"row has {size} fields, the header has {full} "
                            "(unquoted delimiter in a field?)",
                        )
                        continue
                elif not row[0] and not any(row):
                    continue
                item = build(plan, row, line, offset)
                if fallen is not None and type(item) is RawItem:
                    item.warning = fallen if item.warning is None else f"{fallen}; {item.warning}"
                yield item
            else:
                return
        except _Runaway:
            if (rejected := runaway(f"is not closed within {MAX_RECORD_LINES} lines")) is not None:
                yield rejected
        except csv.Error as exc:
            line, offset, end_offset = lines.first, lines.start, lines.offset
            lines.next_record()
            take_bad(offset, end_offset)
            if line > start_line:
                yield reject(line=line, offset=offset, raw="", error=f"CSV syntax error: {exc}")
        reader = csv.reader(lines, delimiter=delimiter)
