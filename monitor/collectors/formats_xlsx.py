"""XLSX reader over openpyxl's streaming (read-only) mode: one sheet, header = first filled row.

An XLSX file is a zip of XML parts, so a few megabytes can inflate to gigabytes. Before
openpyxl sees a file, its zip directory is checked (total inflated size, compression ratio,
size of the parts openpyxl reads whole), and before it reads the shared strings or a sheet,
those parts are scanned as a stream for text runs and rows larger than any real export holds.
A file over a limit is refused as a whole with one line saying which part and why, so reading
one takes bounded memory (well under 400 MB) however it was built.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from monitor.collectors.base import CollectorError, RawItem, Rejected
from monitor.collectors.export_rows import RowBuilder

MB = 1024 * 1024
MAX_INFLATED = 1024 * MB  # all parts together, as the zip directory declares them
MAX_RATIO = 100  # inflated / compressed, for parts inflating past _RATIO_FROM
_RATIO_FROM = 8 * MB  # smaller parts cost little however well they compress
MAX_WHOLE_PART = 16 * MB  # XML parts openpyxl parses whole (workbook, styles, relations...)
# The shared strings are held in memory as a list: about the XML's size plus this per string.
MAX_SHARED_STRINGS_MEMORY = 256 * MB
_BYTES_PER_STRING = 160
# Text between two tags: one cell's value (Excel allows 32,767 characters). Parts are scanned
# in windows of this size; a window without a '<' is text (or an attribute) that long.
MAX_RUN = 1 * MB
MAX_ROW = 8 * MB  # XML of one sheet row, which openpyxl builds as a tree before yielding it
_SHEETS = "xl/worksheets/"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _bomb(location: str, why: str) -> CollectorError:
    return CollectorError(f"{location} is refused: {why} (decompression bomb?)")


def _is_shared(name: str) -> bool:
    return name.lower().endswith("sharedstrings.xml")


def _is_sheet(name: str) -> bool:
    return name.lower().startswith(_SHEETS) and name.lower().endswith(".xml")


def check_xlsx(path: Path, location: str) -> None:
    """Raise ``CollectorError`` now if ``path`` is no zip, or its zip directory declares parts
    that would inflate past the limits."""
    if not zipfile.is_zipfile(path):
        raise CollectorError(f"{location} is not a valid XLSX file: not a zip archive")
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise CollectorError(f"{location} is not a valid XLSX file: {exc}"[:300]) from exc
    total = 0
    for info in parts:
        name, size, packed = info.filename, info.file_size, info.compress_size
        total += size
        if size > _RATIO_FROM and size > MAX_RATIO * max(packed, 1):
            raise _bomb(
                location,
                f"{name} inflates from {packed:,} to {size:,} bytes "
                f"(over {MAX_RATIO} times; limit for parts over {_RATIO_FROM // MB} MB)",
            )
        if _is_shared(name):
            limit = MAX_SHARED_STRINGS_MEMORY
        elif _is_sheet(name) or not name.lower().endswith((".xml", ".rels")):
            continue  # sheets are streamed; other files (images) openpyxl does not read
        else:
            limit = MAX_WHOLE_PART
        if size > limit:
            raise _bomb(location, f"{name} inflates to {size:,} bytes (limit {limit // MB} MB)")
    if total > MAX_INFLATED:
        limit = MAX_INFLATED // MB
        raise _bomb(location, f"its parts inflate to {total:,} bytes (limit {limit} MB)")


def _scan(archive: zipfile.ZipFile, info: zipfile.ZipInfo, location: str) -> None:
    """Read one part as a stream and refuse the file if a text run, a row or (shared strings)
    the table's memory would pass its limit; what is read is dropped window by window."""
    name, shared = info.filename, _is_shared(info.filename)
    pos, tail, strings = 0, b"", 0
    row_at: int | None = None  # end of the last window where a row started
    with archive.open(info) as part:
        while window := part.read(MAX_RUN):
            if len(window) == MAX_RUN and b"<" not in window:
                raise _bomb(
                    location,
                    f"{name} has over {MAX_RUN // MB} MB of text without markup at byte {pos:,} "
                    "(one cell larger than any spreadsheet writes)",
                )
            edge = tail + window  # a marker may straddle two windows
            pos += len(window)
            if shared:  # from 3 bytes before the window on: no "/si>" is counted twice
                strings += edge[max(len(tail) - 3, 0) :].count(b"/si>")
            elif b"<row" in edge or b":row" in edge:
                row_at = pos
            elif row_at is not None and pos - row_at > MAX_ROW:
                raise _bomb(
                    location,
                    f"{name} has a row of over {MAX_ROW // MB} MB of XML before byte {pos:,}",
                )
            if not shared and b"/sheetData>" in edge:
                row_at = None  # the rows are over; what follows is not a row
            tail = window[-10:]
    if shared and info.file_size + strings * _BYTES_PER_STRING > MAX_SHARED_STRINGS_MEMORY:
        raise _bomb(
            location,
            f"{name} holds {strings:,} strings in {info.file_size:,} bytes, over "
            f"{MAX_SHARED_STRINGS_MEMORY // MB} MB in memory",
        )


def _scan_parts(path: Path, location: str) -> None:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if _is_shared(info.filename) or _is_sheet(info.filename):
                _scan(archive, info, location)


def read_xlsx(
    path: Path, *, sheet: str | None, builder: RowBuilder, start_line: int
) -> Iterator[RawItem | Rejected]:
    """Rows of one sheet; ``line`` is the spreadsheet row number (the header's row is counted)."""
    location = builder.location
    try:
        _scan_parts(path, location)
        import openpyxl  # heavy; only needed when a spreadsheet is actually read

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except CollectorError:
        raise
    except Exception as exc:  # any failure of the zip/XML parsers means the file is unusable
        raise CollectorError(
            f"{location} is not a valid XLSX file: {type(exc).__name__}: {exc}"[:300]
        ) from exc
    try:
        if sheet is None:
            if not book.worksheets:
                raise CollectorError(f"{location}: the workbook has no worksheet")
            ws = book.worksheets[0]
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            names = ", ".join(book.sheetnames)[:200]
            raise CollectorError(f"{location}: no sheet named {sheet!r:.60} (sheets: {names})")
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # some writers store a wrong size; read what is really there
        yield from _rows(ws.iter_rows(min_row=1, values_only=True), builder, start_line)
    except CollectorError:
        raise
    except Exception as exc:  # a sheet broken half way through is a broken file
        raise CollectorError(
            f"{location} is not a valid XLSX file: {type(exc).__name__}: {exc}"[:300]
        ) from exc
    finally:
        book.close()


def _rows(
    rows: Iterator[tuple[Any, ...]], builder: RowBuilder, start_line: int
) -> Iterator[RawItem | Rejected]:
    plan = None
    width = 0
    for number, row in enumerate(rows, start=1):
        if plan is None:
            if all(_blank(v) for v in row):
                continue
            plan = builder.plan_for_header(row, line=number)
            width = len(row)
            continue
        if number <= start_line or all(_blank(v) for v in row):
            continue
        if len(row) < width:
            row = row + (None,) * (width - len(row))
        yield builder.build(plan, row, number, None)
