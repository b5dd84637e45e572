"""XLSX decompression bombs are refused with one line, in bounded memory, before openpyxl."""

from __future__ import annotations

import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.collectors import formats_xlsx
from monitor.collectors.base import CollectorError, RawItem
from monitor.collectors.exports import read_export
from monitor.collectors.testing import (
    inline_cell_bomb,
    large_workbook,
    many_shared_strings,
    shared_string_bomb,
    wide_row_bomb,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
MB = 1024 * 1024


def refusal(path: Path) -> tuple[str, int]:
    """The one-line reason a file is refused, and the peak memory traced while reading it."""
    tracemalloc.start()
    try:
        with pytest.raises(CollectorError) as caught:
            list(read_export(path, now=NOW))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path))
    return message, peak


def test_part_inflating_over_a_hundred_times_is_refused_at_the_call(tmp_path: Path) -> None:
    path = inline_cell_bomb(tmp_path / "bomb.xlsx", 200 * MB)
    assert path.stat().st_size < MB
    with zipfile.ZipFile(path) as archive:
        part = archive.getinfo("xl/worksheets/sheet1.xml")
    with pytest.raises(CollectorError) as caught:
        read_export(path, now=NOW)  # refused from the zip directory, nothing inflated
    assert str(caught.value) == (
        f"{path} is refused: xl/worksheets/sheet1.xml inflates from "
        f"{part.compress_size:,} to {part.file_size:,} bytes (over 100 times; limit for parts over "
        "8 MB) (decompression bomb?)"
    )


@pytest.mark.parametrize(
    ("build", "part"),
    [(inline_cell_bomb, "xl/worksheets/sheet1.xml"), (shared_string_bomb, "xl/sharedStrings.xml")],
)
def test_cell_of_megabytes_is_refused_while_streaming_without_building_it(
    tmp_path: Path, build: Callable[[Path, int], Path], part: str
) -> None:
    path = build(tmp_path / "cell.xlsx", 7 * MB)  # under the ratio check's size
    message, peak = refusal(path)
    assert f"{part} has over 1 MB of text without markup at byte" in message
    assert message.endswith("(one cell larger than any spreadsheet writes) (decompression bomb?)")
    assert peak < 6 * MB  # the 7 MB string was never built


def test_row_of_many_small_cells_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(formats_xlsx, "MAX_RATIO", 10_000)  # let the streaming check see it
    path = wide_row_bomb(tmp_path / "row.xlsx", 24 * MB)
    message, peak = refusal(path)
    assert "xl/worksheets/sheet1.xml has a row of over 8 MB of XML before byte" in message
    assert peak < 8 * MB


def test_shared_strings_table_too_large_for_memory_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(formats_xlsx, "MAX_SHARED_STRINGS_MEMORY", 4 * MB)
    path = many_shared_strings(tmp_path / "strings.xlsx", 100_000)  # 3 windows
    message, _ = refusal(path)
    assert "xl/sharedStrings.xml holds 100,000 strings in" in message
    assert "over 4 MB in memory" in message


def test_ordinary_workbook_passes_the_checks(tmp_path: Path) -> None:
    path = large_workbook(tmp_path / "large.xlsx", 3000)
    records = list(read_export(path, now=NOW))
    assert len(records) == 3000 and all(isinstance(r, RawItem) for r in records)
    assert records[-1].line == 3001
