"""The inbox folder: which files are ready, and where they go afterwards."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from monitor.collectors.inbox import move_failed, move_processed, ready_files

T0 = 1_700_000_000.0  # the injected clock, in epoch seconds


def _drop(inbox: Path, name: str, mtime: float, body: str = "id,text\n1,a\n") -> Path:
    path = inbox / name
    path.write_text(body, encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return path


def test_only_settled_supported_files_oldest_first(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("b.csv", "a.jsonl", "c.xlsx", "d.json", "e.tsv", "f.ndjson", "g.txt"):
        _drop(inbox, name, T0 - 60)
    os.utime(inbox / "a.jsonl", (T0 - 120, T0 - 120))  # oldest
    os.utime(inbox / "d.json", (T0 - 90, T0 - 90))
    for ignored in (
        ".hidden.csv",
        "x.csv.part",
        "y.csv.tmp",
        "z.csv.crdownload",
        "w.csv~",
        "notes.pdf",
        "README",
    ):
        _drop(inbox, ignored, T0 - 600)
    (inbox / "sub.csv").mkdir()
    (inbox / "link.csv").symlink_to(inbox / "b.csv")
    _drop(inbox, "fresh.csv", T0 - 2)  # still being written
    names = [p.name for p in ready_files(inbox=inbox, now=T0, settle_seconds=5)]
    assert names[:2] == ["a.jsonl", "d.json"]
    assert sorted(names[2:]) == ["b.csv", "c.xlsx", "e.tsv", "f.ndjson", "g.txt"]
    assert all(p.parent == inbox for p in ready_files(inbox=inbox, now=T0))


def test_a_file_is_ready_only_after_it_stops_changing(tmp_path: Path) -> None:
    inbox = tmp_path
    path = _drop(inbox, "grow.csv", T0)
    assert ready_files(inbox=inbox, now=T0 + 4, settle_seconds=5) == []
    with path.open("a", encoding="utf-8") as fh:  # the writer goes on: mtime moves
        fh.write("2,b\n")
    os.utime(path, (T0 + 4, T0 + 4))
    assert ready_files(inbox=inbox, now=T0 + 6, settle_seconds=5) == []
    assert ready_files(inbox=inbox, now=T0 + 9, settle_seconds=5) == [path]


def test_missing_inbox_has_nothing_ready(tmp_path: Path) -> None:
    assert ready_files(inbox=tmp_path / "nope", now=T0) == []


def test_processed_files_move_and_taken_names_get_a_timestamp(tmp_path: Path) -> None:
    inbox = tmp_path
    first = move_processed(path=_drop(inbox, "drop.csv", T0, "one"), now=T0)
    assert first == inbox / "processed" / "drop.csv" and first.read_text() == "one"
    assert not (inbox / "drop.csv").exists()
    second = move_processed(path=_drop(inbox, "drop.csv", T0, "two"), now=T0)
    assert second.name == "drop.20231114T221320Z.csv" and second.read_text() == "two"
    third = move_processed(path=_drop(inbox, "drop.csv", T0, "three"), now=T0)
    assert third.name == "drop.20231114T221320Z-2.csv" and third.read_text() == "three"
    assert first.read_text() == "one"  # nothing was overwritten
    assert ready_files(inbox=inbox, now=T0 + 60) == []  # sub-folders are not scanned


def test_failed_files_move_with_a_reason_file(tmp_path: Path) -> None:
    inbox = tmp_path
    moved = move_failed(
        path=_drop(inbox, "broken.xlsx", T0, "junk"),
        reason="broken.xlsx is not a valid XLSX file: not a zip archive",
        now=T0,
    )
    assert moved == inbox / "failed" / "broken.xlsx" and moved.read_text() == "junk"
    reason = inbox / "failed" / "broken.xlsx.reason.txt"
    assert reason.read_text(encoding="utf-8") == (
        "broken.xlsx is not a valid XLSX file: not a zip archive\n"
    )
    again = move_failed(path=_drop(inbox, "broken.xlsx", T0, "junk 2"), reason="还是坏的", now=T0)
    assert again.name == "broken.20231114T221320Z.xlsx"
    assert (again.parent / (again.name + ".reason.txt")).read_text(encoding="utf-8") == "还是坏的\n"
    assert ready_files(inbox=inbox, now=T0 + 60) == []


def test_moving_a_vanished_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        move_processed(path=tmp_path / "gone.csv", now=T0)
