"""The digest archive: the reports ``crisiswatch digest`` and the reports schedule wrote.

``archived_reports`` lists the ``digest-<period>.<format>`` files of one folder, one entry per
period with its formats, newest period first. ``archived_file`` is the only way to open one:
it accepts a bare file name of that shape and answers a path inside the folder, never a path
elsewhere (no ``..``, no separators, no symlink out of it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from monitor.digest.period import Period, PeriodError, date_range, period_at
from monitor.digest.run import FORMATS

_NAME = re.compile(r"^digest-(?P<slug>[0-9A-Za-z_-]{4,32})\.(?P<fmt>html|md|json)$")
_KINDS = (
    ("day", re.compile(r"^\d{4}-\d{2}-\d{2}$")),
    ("week", re.compile(r"^\d{4}-W\d{2}$")),
    ("month", re.compile(r"^\d{4}-\d{2}$")),
    ("quarter", re.compile(r"^\d{4}-Q[1-4]$")),
    ("year", re.compile(r"^\d{4}$")),
)
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class ArchivedReport:
    """One period's report: its files by format and when the newest was written."""

    period: Period
    files: dict[str, str]  # format -> file name
    written_at: datetime

    @property
    def kind(self) -> str:
        """The period's kind: day, week, month, quarter, year or range."""
        return self.period.kind


def archived_reports(*, folder: Path, tz: str, kind: str | None = None) -> list[ArchivedReport]:
    """The reports in ``folder`` (optionally of one period kind), newest period first; [] when
    the folder does not exist yet."""
    found: dict[str, tuple[Period, dict[str, str], float]] = {}
    try:
        entries = sorted(folder.iterdir())
    except FileNotFoundError:
        return []
    for entry in entries:
        match = _NAME.match(entry.name)
        if match is None or not entry.is_file() or entry.is_symlink():
            continue
        period = _period(match.group("slug"), tz)
        if period is None or (kind is not None and period.kind != kind):
            continue
        slot = found.setdefault(period.slug, (period, {}, 0.0))
        slot[1][match.group("fmt")] = entry.name
        found[period.slug] = (period, slot[1], max(slot[2], entry.stat().st_mtime))
    reports = [
        ArchivedReport(period=p, files={f: files[f] for f in FORMATS if f in files},
                       written_at=datetime.fromtimestamp(mtime, UTC))
        for p, files, mtime in found.values()
    ]
    return sorted(reports, key=lambda r: (r.period.end, r.period.first, r.written_at),
                  reverse=True)


def archived_file(*, folder: Path, name: str) -> Path:
    """The archive's file called ``name``; LookupError for any other name or a missing file."""
    if _NAME.match(name) is None:
        raise LookupError(f"no report {name!r}")
    root = folder.resolve()
    path = (root / name).resolve()
    if path.parent != root or not path.is_file():
        raise LookupError(f"no report {name!r}")
    return path


def _period(slug: str, tz: str) -> Period | None:
    try:
        for kind, pattern in _KINDS:
            if pattern.match(slug):
                return period_at(kind=kind, at=slug, tz=tz)
        found = _RANGE.match(slug)
        if found:
            return date_range(first=date.fromisoformat(found.group(1)),
                              last=date.fromisoformat(found.group(2)), tz=tz)
    except (PeriodError, ValueError):
        return None
    return None
