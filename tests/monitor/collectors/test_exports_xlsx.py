"""XLSX export reading (openpyxl read-only): header row, typed cells, broken files."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from monitor.collectors.base import CollectorError, RawItem, Rejected
from monitor.collectors.exports import read_export

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def read(path: Path, **options: Any) -> tuple[list[RawItem], list[Rejected]]:
    items: list[RawItem] = []
    rejected: list[Rejected] = []
    for record in read_export(path, now=NOW, **options):
        (items if isinstance(record, RawItem) else rejected).append(record)  # type: ignore[arg-type]
    return items, rejected


def _workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Summary"
    sheet.append(["exported by a monitoring tool"])
    other = book.create_sheet("微博")
    other.append([])  # row 1 empty: the header is the first non-empty row
    other.append(["mid", "用户昵称", "微博正文", "发布时间", "转发数", "点赞数", "粉丝数"])
    other.append(
        [4.890123456789e15, "小王", "奶粉有问题", datetime(2024, 3, 1, 12, 0), 12, "1.2万", 350000]
    )
    other.append([None, None, None, None, None, None, None])
    other.append([4.890123456789013e15, "李四", None, "2024-03-02 08:00", 1, 2, 3])
    other.append([4.890123456789014e15, "张三", "还有一条", "not a date", "很多"])  # short row
    book.save(path)
    return path


def test_generated_workbook_named_sheet_with_weibo_preset(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "export.xlsx")
    items, rejected = read(path, preset="weibo", sheet="微博")
    assert [(i.external_id, i.line) for i in items] == [
        ("4890123456789000", 3),
        ("4890123456789014", 6),
    ]
    first, last = items
    assert first.text == "奶粉有问题" and first.author == "小王"
    assert first.published == datetime(2024, 3, 1, 4, 0, tzinfo=UTC)  # cell in Beijing time
    assert first.metrics == {"reposts": 12, "likes": 12_000} and first.author_reach == 350_000
    assert last.date_missing and last.published == NOW and last.metrics == {}
    assert [(r.line, r.error) for r in rejected] == [(5, "line 5: field 'text' missing or empty")]
    resumed, _ = read(path, preset="weibo", sheet="微博", start_line=5)
    assert [i.line for i in resumed] == [6]


def test_first_sheet_is_read_by_default_and_unknown_sheet_fails(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "export.xlsx")
    with pytest.raises(CollectorError, match="no text column"):
        read(path)  # the first sheet is a title page: no text column
    with pytest.raises(CollectorError, match=r"no sheet named 'Data' \(sheets: Summary, 微博\)"):
        read(path, sheet="Data")


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(os.urandom(4096), id="random-bytes"),
        pytest.param(b"", id="empty"),
        pytest.param(b"id,text\n1,a csv renamed to xlsx\n", id="csv-renamed"),
    ],
)
def test_not_a_zip_fails_at_the_call(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    with pytest.raises(CollectorError, match=r"broken\.xlsx is not a valid XLSX file"):
        read_export(path, now=NOW)


def test_truncated_and_foreign_zips_fail_as_a_whole(tmp_path: Path) -> None:
    whole = _workbook(tmp_path / "whole.xlsx").read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(CollectorError, match="is not a valid XLSX file"):
        read(cut, sheet="微博")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "just a zip")
    foreign = tmp_path / "foreign.xlsx"
    foreign.write_bytes(buffer.getvalue())
    with pytest.raises(CollectorError, match="is not a valid XLSX file"):
        read(foreign)
