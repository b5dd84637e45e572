"""Reading export files (CSV/TSV, JSON, JSON Lines, XLSX) into ``RawItem`` values.

``read_export`` checks its arguments at once (unknown format, preset, encoding, zone or a
missing file raise ``CollectorError`` on the call) and returns a lazy iterator: records are
read one at a time, so memory stays flat however large the file. A bad record becomes a
``Rejected`` naming its line and reading goes on; only a file that cannot be read at all
raises. ``header_names`` reads only a file's column names (for ``detect_preset``).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from monitor.collectors.base import CollectorError, RawItem, Rejected
from monitor.collectors.columns import ColumnMapping, check_tz, mapping_from_dict, overlay
from monitor.collectors.export_rows import Plan, RowBuilder
from monitor.collectors.export_text import SNIFF_BYTES, choose_encoding
from monitor.collectors.export_values import to_text
from monitor.collectors.formats_csv import read_csv
from monitor.collectors.formats_json import looks_like_jsonl, read_json, read_jsonl
from monitor.collectors.formats_xlsx import check_xlsx, read_xlsx
from monitor.collectors.presets import PRESETS, preset_mapping

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "PRESETS",
    "ColumnMapping",
    "detect_format",
    "header_names",
    "mapping_from_dict",
    "read_export",
]

FORMATS = ("csv", "json", "jsonl", "xlsx")
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
}
_FORMAT_ALIASES = {"tsv": "csv", "ndjson": "jsonl", "excel": "xlsx"}
_DELIMITER_NAMES = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def detect_format(path: Path) -> str:
    """The format implied by ``path``'s extension; CollectorError when there is none."""
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise CollectorError(
            f"{path}: cannot tell the format from the extension {path.suffix or '(none)'!r}; "
            f"use one of {', '.join(sorted(EXTENSIONS))} or give fmt"
        )
    return fmt


def _format(path: Path, fmt: str | None) -> str:
    if fmt is None:
        return detect_format(path)
    name = _FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
    if name not in FORMATS:
        raise CollectorError(f"{path}: unknown format {fmt!r:.40} (known: {', '.join(FORMATS)})")
    return name


def _delimiter(path: Path, delimiter: str | None) -> str | None:
    if delimiter is None:
        return None
    value = _DELIMITER_NAMES.get(delimiter.lower(), delimiter)
    if len(value) != 1 or value in '"\r\n' or value.isalnum():
        raise CollectorError(f"{path}: delimiter must be one character, got {delimiter!r:.20}")
    return value


def read_export(
    path: Path,
    *,
    fmt: str | None = None,
    preset: str = "generic",
    mapping: ColumnMapping | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    start_line: int = 0,
    now: datetime,
    tz: str | None = None,
    sheet: str | None = None,
) -> Iterator[RawItem | Rejected]:
    """Stream an export file's records as RawItem (or Rejected for bad rows), in file order.

    ``mapping`` overrides the preset's fields that it sets. ``tz`` names the zone of naive
    times (default: the mapping's, else UTC). ``start_line`` skips records whose ``line`` is
    at most it. ``sheet`` picks an XLSX worksheet by name (default: the first).

    ``line`` is the physical line where a record starts (CSV, header = line 1; JSONL), the
    sheet row (XLSX), or the 1-based item number (JSON array, so single-line files resume).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    path = Path(path)
    kind = _format(path, fmt)
    columns = preset_mapping(preset=preset)
    if mapping is not None:
        columns = overlay(columns, mapping)
    if not columns.text:
        raise CollectorError(f"{path}: the column mapping names no text column")
    zone_name = tz if tz is not None else columns.tz
    check_tz(zone_name, f"{path}: tz")
    zone: tzinfo = zoneinfo.ZoneInfo(zone_name) if zone_name else UTC
    sep = _delimiter(path, delimiter)
    if isinstance(start_line, bool) or not isinstance(start_line, int) or start_line < 0:
        raise CollectorError(f"{path}: start_line must be a non-negative integer")
    if encoding is not None:
        choose_encoding(b"", encoding, str(path))  # an unknown name fails now, not mid-stream
    if not path.exists():
        raise CollectorError(f"{path}: no such file")
    if not path.is_file():
        raise CollectorError(f"{path}: not a regular file")
    if kind == "xlsx":
        check_xlsx(path, str(path))
    return _stream(
        path,
        kind=kind,
        columns=columns,
        zone=zone,
        encoding=encoding,
        delimiter=sep,
        start_line=start_line,
        now=now.astimezone(UTC),
        sheet=sheet,
    )


def _stream(
    path: Path,
    *,
    kind: str,
    columns: ColumnMapping,
    zone: tzinfo,
    encoding: str | None,
    delimiter: str | None,
    start_line: int,
    now: datetime,
    sheet: str | None,
    make_builder: Callable[..., RowBuilder] = RowBuilder,
) -> Generator[RawItem | Rejected]:
    location = str(path)

    def builder(label: str = "line") -> RowBuilder:
        return make_builder(mapping=columns, location=location, now=now, tz=zone, label=label)

    if kind == "xlsx":
        yield from read_xlsx(path, sheet=sheet, builder=builder(), start_line=start_line)
        return
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
            enc = choose_encoding(head, encoding, location)
            if kind == "json" and looks_like_jsonl(head.decode(enc.codec, "replace")):
                kind = "jsonl"  # JSON Lines saved as .json: read it as what it is
            if kind == "csv":
                if delimiter is None and path.suffix.lower() == ".tsv":
                    delimiter = "\t"
                yield from read_csv(
                    fh, encoding=enc, delimiter=delimiter, builder=builder(), start_line=start_line
                )
            elif kind == "jsonl":
                yield from read_jsonl(fh, encoding=enc, builder=builder(), start_line=start_line)
            else:
                yield from read_json(
                    fh, encoding=enc, builder=builder("item"), start_line=start_line
                )
    except OSError as exc:
        raise CollectorError(f"{location}: cannot be read: {exc.strerror or exc}") from exc


_NEVER = datetime(1970, 1, 1, tzinfo=UTC)  # a header probe builds no row, so reads no clock
_PROBE_RECORDS = 10  # records read past (non-object JSON items) looking for a first object


class _HeaderProbe(RowBuilder):
    """A builder that notes the first column names it is shown and plans nothing, so every
    record read is a cheap rejection."""

    names: list[str] | None = None

    def plan_for_header(self, header: Sequence[Any], *, line: int) -> Plan:
        if self.names is None:
            self.names = [to_text(name) or "" for name in header]
        return self._plan({}, nested=False)

    def plan_for_object(self, obj: Mapping[str, Any]) -> Plan:
        if self.names is None:
            # one level of nesting too, as mappings name it (``user.screen_name``)
            self.names = [str(key) for key in obj] + [
                f"{key}.{sub}" for key, value in obj.items() if isinstance(value, Mapping)
                for sub in value
            ]
        return self._plan({}, nested=True)


def header_names(
    path: Path,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> list[str]:
    """The column names of an export file: its header row, or its first JSON object's keys
    (and one level of nested keys as ``parent.child``); empty when it has none.
    CollectorError when the file cannot be read, as from ``read_export``."""
    path = Path(path)
    kind = _format(path, fmt)
    sep = _delimiter(path, delimiter)
    if encoding is not None:
        choose_encoding(b"", encoding, str(path))
    if not path.is_file():
        raise CollectorError(f"{path}: no such file")
    if kind == "xlsx":
        check_xlsx(path, str(path))
    probes: list[_HeaderProbe] = []

    def probe(**kwargs: Any) -> RowBuilder:
        probes.append(_HeaderProbe(**kwargs))
        return probes[-1]

    records = _stream(
        path, kind=kind, columns=preset_mapping(preset="generic"), zone=UTC, encoding=encoding,
        delimiter=sep, start_line=0, now=_NEVER, sheet=sheet, make_builder=probe,
    )
    try:
        for count, _ in enumerate(records, start=1):
            if probes[0].names is not None or count >= _PROBE_RECORDS:
                break
    finally:
        records.close()
    return (probes[0].names if probes else None) or []
