"""Streaming CSV/TSV reader: one ``RawItem`` or ``Rejected`` per record, in constant memory."""

from __future__ import annotations

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
    reader = csv.reader(source.lines(sentinel=_EOF), delimiter=delimiter)
    end_line, end_offset = 0, source.offset

    header: list[str] | None = None
    for row in reader:
        header_line, end_line = end_line + 1, reader.line_num
        if source.at_eof:
            return  # no header before the end: an empty file
        if any(field.strip() for field in row):
            header = row
            end_offset = source.offset
            break
    if header is None:
        return
    take_bad = source.take_bad
    header_problem = take_bad(0, end_offset)
    try:
        plan = builder.plan_for_header(header, line=header_line)
    except CollectorError as exc:
        if header_problem is None:
            raise
        raise CollectorError(f"{exc}; the header is {header_problem}") from None
    named = [i for i, name in enumerate(header) if name.strip()]
    width, full = named[-1] + 1, len(header)
    build, reject = builder.build, builder.reject

    while True:
        try:
            for row in reader:
                line, end_line = end_line + 1, reader.line_num
                offset, end_offset = end_offset, source.offset
                if source.at_eof:
                    if row != [_EOF] and line > start_line:
                        raw = [f.replace(_EOF, "") for f in row]
                        yield reject(
                            line=line,
                            offset=offset,
                            raw=raw,
                            error="unterminated quoted field at end of file (truncated file?)",
                        )
                    return
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
                yield build(plan, row, line, offset)
            return
        except csv.Error as exc:
            line, end_line = end_line + 1, reader.line_num
            offset, end_offset = end_offset, source.offset
            take_bad(offset, end_offset)
            if line > start_line:
                yield reject(line=line, offset=offset, raw="", error=f"CSV syntax error: {exc}")
