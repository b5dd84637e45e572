"""The digest archive: the files ``crisiswatch digest`` and the scheduled reports write to
``<data_dir>/digests`` (``digest-<period>.<format>``), listed and opened by name.

Only a name of the form ``digest-<letters, digits, - or _>`` with a known format, naming a
regular file directly inside the folder, is ever opened: nothing else can be reached through it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from monitor.digest.period import KINDS, Period, PeriodError, date_range, parse_day, period_at
from monitor.digest.run import FORMATS

PREFIX = "digest-"
_NAME = re.compile(r"^digest-[0-9A-Za-z][0-9A-Za-z_-]{0,63}$")


class DigestNotFound(LookupError):
    """No archived digest file of that name and format."""


@dataclass(frozen=True)
class ArchivedDigest:
    """One digest in the archive, with the formats it was written in."""

    name: str  # digest-2026-W47
    period: str | None  # its label (2026-W47, 2026-11, 2026-11-01..2026-11-07), None if unknown
    kind: str | None  # day, week, month, quarter, year or range
    first: date | None
    last: date | None
    formats: tuple[str, ...]
    written_at: datetime  # the newest file's modification time


def list_digests(folder: Path, *, tz: str) -> list[ArchivedDigest]:
    """Every digest in ``folder`` (none when it does not exist), latest period first."""
    if not folder.is_dir():
        return []
    found: dict[str, dict[str, Path]] = {}
    for path in folder.iterdir():
        stem, _, fmt = path.name.rpartition(".")
        if fmt in FORMATS and _NAME.match(stem) and path.is_file():
            found.setdefault(stem, {})[fmt] = path
    digests = []
    for name, files in found.items():
        period = _period(name[len(PREFIX):], tz)
        newest = max(p.stat().st_mtime for p in files.values())
        digests.append(ArchivedDigest(
            name=name,
            period=period.label if period else None,
            kind=period.kind if period else None,
            first=period.first if period else None,
            last=period.last if period else None,
            formats=tuple(f for f in FORMATS if f in files),
            written_at=datetime.fromtimestamp(newest, UTC),
        ))
    return sorted(digests, key=lambda d: (d.last or date.min, d.written_at, d.name), reverse=True)


def digest_file(folder: Path, *, name: str, fmt: str) -> Path:
    """The file of digest ``name`` in format ``fmt``; DigestNotFound unless it is a regular
    file directly inside ``folder`` (so ``..``, slashes and links out of it are refused)."""
    if not _NAME.match(name) or fmt not in FORMATS:
        raise DigestNotFound(f"no digest {name!r} in format {fmt!r}")
    path = folder / f"{name}.{fmt}"
    try:
        inside = path.resolve(strict=True).parent == folder.resolve(strict=True)
    except OSError:
        inside = False
    if not inside or not path.is_file():
        raise DigestNotFound(f"no digest {name}.{fmt}")
    return path


def _period(slug: str, tz: str) -> Period | None:
    """The period a file name's slug stands for (``Period.slug`` read back), else None."""
    candidates: list[Period] = []
    try:
        if "_" in slug:
            first, _, last = slug.partition("_")
            candidates.append(date_range(first=parse_day(first, "from"),
                                         last=parse_day(last, "to"), tz=tz))
        else:
            for kind in KINDS:
                try:
                    candidates.append(period_at(kind=kind, at=slug, tz=tz))
                except PeriodError:
                    continue
    except PeriodError:
        return None
    return next((p for p in candidates if p.slug == slug), None)
