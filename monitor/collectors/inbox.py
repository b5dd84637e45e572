"""The inbox folder: export files dropped in by people or tools, read once they stop changing.

A file is ready when its modification time is at least ``settle_seconds`` old: every write
moves the mtime, so a file still being written (or copied) is never picked up half done.
Partial-download names (.part, .crdownload, ~, dot-files) are never ready. After ingest a file
moves to ``processed/`` or, with a ``.reason.txt`` beside it, to ``failed/``.
"""

from __future__ import annotations

import os
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

from monitor.collectors.exports import EXTENSIONS

PROCESSED = "processed"
FAILED = "failed"
_PARTIAL_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".download", "~")
_MAX_REASON = 10_000


def _candidate(name: str) -> bool:
    lowered = name.lower()
    if name.startswith(".") or lowered.endswith(_PARTIAL_SUFFIXES):
        return False
    return Path(lowered).suffix in EXTENSIONS


def ready_files(*, inbox: Path, now: float, settle_seconds: float = 5.0) -> list[Path]:
    """Supported files directly in ``inbox`` unchanged for ``settle_seconds``, oldest first."""
    found: list[tuple[float, str, Path]] = []
    try:
        entries = list(os.scandir(inbox))
    except FileNotFoundError:
        return []
    for entry in entries:
        if not _candidate(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue  # removed meanwhile
        # Symlinks are skipped: a link could point the service at any file on the host.
        if not stat.S_ISREG(info.st_mode):
            continue
        if now - info.st_mtime >= settle_seconds:
            found.append((info.st_mtime, entry.name, Path(entry.path)))
    found.sort()
    return [path for _, _, path in found]


def _stamp(now: float | None) -> str:
    moment = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _move(path: Path, folder: Path, now: float | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    stem, suffix = path.stem, path.suffix
    attempt = 0
    while True:
        try:
            # link-then-unlink never overwrites a file that appeared since we looked
            os.link(path, target)
        except FileExistsError:
            attempt += 1
            tail = "" if attempt == 1 else f"-{attempt}"
            target = folder / f"{stem}.{_stamp(now)}{tail}{suffix}"
            continue
        except OSError:
            if target.exists():
                attempt += 1
                tail = "" if attempt == 1 else f"-{attempt}"
                target = folder / f"{stem}.{_stamp(now)}{tail}{suffix}"
                continue
            os.replace(path, target)  # no hard links on this filesystem
            return target
        path.unlink()
        return target


def move_processed(*, path: Path, now: float | None = None) -> Path:
    """Move an ingested file to ``<inbox>/processed/``; a taken name gets a timestamp."""
    return _move(path, path.parent / PROCESSED, now)


def move_failed(*, path: Path, reason: str, now: float | None = None) -> Path:
    """Move a file that could not be ingested to ``<inbox>/failed/`` with a reason file."""
    target = _move(path, path.parent / FAILED, now)
    note = target.with_name(target.name + ".reason.txt")
    note.write_text(reason[:_MAX_REASON].rstrip("\n") + "\n", encoding="utf-8")
    return target
