"""XLSX reader over openpyxl's streaming (read-only) mode: one sheet, header = first filled row."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from monitor.collectors.base import CollectorError, RawItem, Rejected
from monitor.collectors.export_rows import RowBuilder


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_xlsx(path: Path, location: str) -> None:
    """Raise ``CollectorError`` now if ``path`` cannot be an XLSX file (not a zip at all)."""
    if not zipfile.is_zipfile(path):
        raise CollectorError(f"{location} is not a valid XLSX file: not a zip archive")


def read_xlsx(
    path: Path, *, sheet: str | None, builder: RowBuilder, start_line: int
) -> Iterator[RawItem | Rejected]:
    """Rows of one sheet; ``line`` is the spreadsheet row number (the header's row is counted)."""
    import openpyxl  # heavy; only needed when a spreadsheet is actually read

    location = builder.location
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
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
