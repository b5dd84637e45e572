"""Column mappings: which source column of an export feeds which ``RawItem`` field.

Every field lists candidate column names; the first one present in a file (and non-empty in a
row) wins. Header matching ignores case, surrounding space, ``_``/``-`` versus space, and a
stray BOM. For JSON sources a candidate may be a dotted path into nested objects
(``user.screen_name``).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from monitor.collectors.base import CollectorError

_SEPARATORS = re.compile(r"[\s_\-]+")
# When and by whom a message was replied to (a CRM's or a platform's export): every preset reads
# these, and the reply is recorded with the mention (monitor.replies).
REPLIED_AT = ("replied_at", "reply_time", "replied_time", "回复时间")
REPLIED_BY = ("replied_by", "reply_by", "回复人")


def normalise_header(name: str) -> str:
    """Header name as compared: casefolded, BOM and outer space stripped, ``_``/``-`` as space."""
    return _SEPARATORS.sub(" ", name.replace("\ufeff", "").strip().casefold()).strip()


@dataclass(frozen=True)
class ColumnMapping:
    """Source columns for each ``RawItem`` field (candidates in order of preference)."""

    external_id: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    text_join: bool | None = None  # join every non-empty text column (None: no, unless a base says)
    title: tuple[str, ...] = ()
    url: tuple[str, ...] = ()
    # used when the url column is absent or empty: {external_id}, {author} and any extra name,
    # each URL-quoted; a placeholder without a value means no url
    url_template: str | None = None
    author: tuple[str, ...] = ()
    author_reach: tuple[str, ...] = ()
    published: tuple[str, ...] = ()
    date_format: str | None = None  # strptime format tried before the built-in formats
    tz: str | None = None  # zone for naive times (exports in local time); None means UTC
    lang: tuple[str, ...] = ()
    metrics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # copied into extra
    replied_at: tuple[str, ...] = REPLIED_AT
    replied_by: tuple[str, ...] = REPLIED_BY


_COLUMN_FIELDS = (
    "external_id",
    "text",
    "title",
    "url",
    "author",
    "author_reach",
    "published",
    "lang",
    "replied_at",
    "replied_by",
)
_STRING_FIELDS = ("url_template", "date_format", "tz")
_ALIASES = {"id": "external_id", "date": "published", "reach": "author_reach"}


def _columns(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, str) and v.strip() for v in value
    ):
        raise CollectorError(
            f"{where}: expected a column name or a list of column names, got {value!r:.80}"
        )
    return tuple(v.strip() for v in value)


def _column_table(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise CollectorError(f"{where}: expected a mapping of name -> column(s), got {value!r:.80}")
    table: dict[str, tuple[str, ...]] = {}
    for name, cols in value.items():
        if not isinstance(name, str) or not name.strip():
            raise CollectorError(f"{where}: names must be non-empty strings, got {name!r:.80}")
        table[name.strip()] = _columns(cols, f"{where}.{name}")
    return table


def check_tz(tz: str | None, where: str) -> None:
    """Raise ``CollectorError`` unless ``tz`` is None or a known IANA zone name."""
    if tz is None:
        return
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise CollectorError(f"{where}: unknown time zone {tz!r:.60}") from exc


def overlay(base: ColumnMapping, top: ColumnMapping) -> ColumnMapping:
    """``base`` with every field that ``top`` sets replaced (metrics and extra merged by name)."""
    changes: dict[str, Any] = {}
    for f in fields(ColumnMapping):
        value = getattr(top, f.name)
        if f.name in ("metrics", "extra"):
            if value:
                changes[f.name] = MappingProxyType({**getattr(base, f.name), **value})
        elif value is not None and value != ():
            changes[f.name] = value
    return replace(base, **changes)


def mapping_from_dict(d: Mapping[str, Any], *, base: ColumnMapping | None = None) -> ColumnMapping:
    """A mapping from config values (keys: ColumnMapping fields; ``id``/``date``/``reach`` too).

    Without ``base`` only the given fields are set, ready to ``overlay`` a preset; with it,
    the given fields replace the base's. A bad key or value raises CollectorError naming it.
    """
    if not isinstance(d, Mapping):
        raise CollectorError(f"mapping: expected a mapping, got {type(d).__name__}")
    known = {f.name for f in fields(ColumnMapping)}
    changes: dict[str, Any] = {}
    for raw_key, value in d.items():
        key = _ALIASES.get(raw_key, raw_key) if isinstance(raw_key, str) else raw_key
        if key not in known:
            names = ", ".join(sorted(known))
            raise CollectorError(f"mapping: unknown key {raw_key!r:.60} (expected one of {names})")
        where = f"mapping.{raw_key}"
        if key in _COLUMN_FIELDS:
            changes[key] = _columns(value, where)
        elif key in _STRING_FIELDS:
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise CollectorError(f"{where}: expected a non-empty string, got {value!r:.80}")
            changes[key] = value.strip() if isinstance(value, str) else None
        elif key == "text_join":
            if not isinstance(value, bool):
                raise CollectorError(f"{where}: expected true or false, got {value!r:.80}")
            changes[key] = value
        else:  # metrics, extra
            changes[key] = MappingProxyType(_column_table(value, where))
    check_tz(changes.get("tz"), "mapping.tz")
    return replace(base if base is not None else ColumnMapping(), **changes)
