"""One export record (a CSV/XLSX row or a JSON object) -> ``RawItem``, or ``Rejected`` with why."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import quote

from monitor.collectors.base import CollectorError, RawItem, Rejected
from monitor.collectors.columns import ColumnMapping, normalise_header
from monitor.collectors.export_values import parse_count, parse_datetime, to_text

MAX_TEXT = 100_000  # characters kept of a mention's text; longer text is cut and flagged
_MAX_SHORT = 1_000  # titles, authors, extra values
_MAX_URL = 2_048
_MAX_ID = 200
EXCERPT = 200
_PLAN_CACHE = 64  # distinct JSON key layouts remembered per file
_BARE_DOMAIN = re.compile(r"^[\w-]+(\.[\w-]+)*\.[a-z]{2,}(/|$)", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_INVISIBLE = "\ufeff\u200b"
_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")

Accessor = int | str | tuple[str, ...]  # list index, dict key, or nested JSON path


@dataclass(frozen=True, slots=True)
class Plan:
    """Where each field is found in records of one layout (a header, or a JSON key set)."""

    external_id: tuple[Accessor, ...]
    text: tuple[Accessor, ...]
    title: tuple[Accessor, ...]
    url: tuple[Accessor, ...]
    author: tuple[Accessor, ...]
    author_reach: tuple[Accessor, ...]
    published: tuple[Accessor, ...]
    lang: tuple[Accessor, ...]
    metrics: tuple[tuple[str, tuple[Accessor, ...]], ...]
    extra: tuple[tuple[str, tuple[Accessor, ...]], ...]
    replied_at: tuple[Accessor, ...] = ()
    replied_by: tuple[Accessor, ...] = ()
    replied_column: str = ""  # the replied_at column's name, for warnings


def _walk(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        if key in obj:
            obj = obj[key]
            continue
        wanted = normalise_header(key)
        obj = next((v for k, v in obj.items() if normalise_header(str(k)) == wanted), None)
    return obj


def _pick(row: Any, accessors: tuple[Accessor, ...]) -> Any:
    """The first usable value: not empty, and not a nested object (``user`` vs ``user.name``)."""
    for acc in accessors:
        value = _walk(row, acc) if type(acc) is tuple else row[acc]
        if type(value) is str:
            if value:
                return value
        elif value is not None and not isinstance(value, (Mapping, list)):
            return value
    return None


def excerpt_of(row: Any) -> str:
    """A short, single-value rendering of a raw record for the quarantine."""
    if isinstance(row, str):
        text = row
    elif isinstance(row, (list, tuple)):
        text = ",".join("" if v is None else str(v) for v in row)
    else:
        try:
            text = json.dumps(row, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(row)
    return text[:EXCERPT]


def _clean_url(raw: Any) -> tuple[str | None, str | None]:
    text = to_text(raw)
    if text is None:
        return None, None
    url = text.strip()
    if not url:
        return None, None
    if not url[:8].lower().startswith(("http://", "https://")):
        if "://" in url or not _BARE_DOMAIN.match(url):
            return None, f"url {url[:80]!r} is not an http(s) address"
        url = "https://" + url
    if len(url) > _MAX_URL or _URL_FORBIDDEN.search(url):
        return None, f"url {url[:80]!r} is too long or contains spaces"
    return url, None


def _short(raw: Any) -> str | None:
    text = to_text(raw)
    if text is None:
        return None
    text = text.strip()
    return text[:_MAX_SHORT] if text else None


class RowBuilder:
    """Builds ``RawItem`` values from records, using one ``ColumnMapping`` for a whole file."""

    def __init__(
        self,
        *,
        mapping: ColumnMapping,
        location: str,
        now: datetime,
        tz: tzinfo,
        label: str = "line",
    ) -> None:
        if not mapping.text:
            raise CollectorError(f"{location}: the column mapping names no text column")
        self.mapping = mapping
        self.location = location
        self.label = label  # what ``line`` counts in messages: "line", or "item" in a JSON array
        self.now = now
        self.tz = tz
        self._key_plans: dict[tuple[str, ...], Plan] = {}

    def _resolve(
        self, lookup: Mapping[str, Accessor], names: tuple[str, ...], nested: bool
    ) -> tuple[Accessor, ...]:
        found: list[Accessor] = []
        for name in names:
            acc = lookup.get(normalise_header(name))
            if acc is None and nested and "." in name:
                head, *rest = name.split(".")
                first = lookup.get(normalise_header(head))
                if isinstance(first, str):
                    acc = (first, *rest)
            if acc is not None and acc not in found:
                found.append(acc)
        return tuple(found)

    def _plan(self, lookup: Mapping[str, Accessor], nested: bool) -> Plan:
        m = self.mapping

        def res(names: tuple[str, ...]) -> tuple[Accessor, ...]:
            return self._resolve(lookup, names, nested)

        return Plan(
            external_id=res(m.external_id),
            text=res(m.text),
            title=res(m.title),
            url=res(m.url),
            author=res(m.author),
            author_reach=res(m.author_reach),
            published=res(m.published),
            lang=res(m.lang),
            metrics=tuple((k, a) for k, v in m.metrics.items() if (a := res(v))),
            extra=tuple((k, a) for k, v in m.extra.items() if (a := res(v))),
            replied_at=res(m.replied_at),
            replied_by=res(m.replied_by),
            replied_column=next(
                (n for n in m.replied_at if normalise_header(n) in lookup), "replied_at"
            ),
        )

    def plan_for_header(self, header: Sequence[Any], *, line: int) -> Plan:
        """The plan for list rows under ``header``; no text column is a whole-file error."""
        lookup: dict[str, Accessor] = {}
        for index, name in enumerate(header):
            key = normalise_header(to_text(name) or "")
            if key and key not in lookup:
                lookup[key] = index
        plan = self._plan(lookup, nested=False)
        if not plan.text:
            shown = ", ".join(str(h) for h in header if h not in (None, ""))[:300]
            raise CollectorError(
                f"{self.location}: line {line}: no text column; the mapping looks for "
                f"{', '.join(self.mapping.text)[:200]}; the header has {shown}"
            )
        return plan

    def plan_for_object(self, obj: Mapping[str, Any]) -> Plan:
        """The plan for JSON objects with the same keys as ``obj`` (cached per key layout)."""
        keys = tuple(obj)
        plan = self._key_plans.get(keys)
        if plan is None:
            lookup: dict[str, Accessor] = {}
            for key in keys:
                lookup.setdefault(normalise_header(str(key)), key)
            plan = self._plan(lookup, nested=True)
            if len(self._key_plans) >= _PLAN_CACHE:
                self._key_plans.clear()
            self._key_plans[keys] = plan
        return plan

    def reject(self, *, line: int | None, offset: int | None, error: str, raw: Any) -> Rejected:
        """A quarantined record of this file; ``error`` is prefixed with the line."""
        prefix = f"{self.label} {line}: " if line is not None else ""
        return Rejected(
            location=self.location,
            line=line,
            offset=offset,
            error=prefix + error,
            excerpt=excerpt_of(raw),
        )

    def build(self, plan: Plan, row: Any, line: int, offset: int | None) -> RawItem | Rejected:
        """The record ``row`` (list or mapping) laid out as ``plan``, as a RawItem or Rejected."""
        extra: dict[str, Any] = {}
        if self.mapping.text_join:
            parts = [
                t.strip()
                for acc in plan.text
                if (t := to_text(_walk(row, acc) if type(acc) is tuple else row[acc]))
            ]
            text = "\n".join(p for p in parts if p)
        else:
            text = ""
            for acc in plan.text:
                value = to_text(_walk(row, acc) if type(acc) is tuple else row[acc])
                if value and (text := value.strip()):
                    break
        if text and (text[0] in _INVISIBLE or text[-1] in _INVISIBLE):
            text = text.strip(_INVISIBLE).strip()  # stray BOMs left by copy-paste and exporters
        if not text:
            return self.reject(
                line=line, offset=offset, raw=row, error="field 'text' missing or empty"
            )
        if len(text) > MAX_TEXT:
            text = text[:MAX_TEXT]
            extra["text_truncated"] = True

        author = _short(_pick(row, plan.author)) if plan.author else None
        raw_date = _pick(row, plan.published) if plan.published else None
        published = None
        if raw_date is not None:
            published = parse_datetime(
                raw_date, date_format=self.mapping.date_format, tz=self.tz, now=self.now
            )
            if published is None:
                extra["date_error"] = f"unparseable date {str(raw_date)[:60]!r}"
        date_missing = published is None

        for name, accs in plan.extra:
            value = _short(_pick(row, accs))
            if value is not None:
                extra[name] = value

        warning = self._reply(plan, row, extra) if plan.replied_at else None

        external_id = to_text(_pick(row, plan.external_id)) if plan.external_id else None
        external_id = external_id.strip() if external_id else None
        if not external_id or len(external_id) > _MAX_ID:
            basis = external_id or f"{author or ''}\x1f{raw_date or ''}\x1f{text}"
            external_id = "h:" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]

        url, url_error = _clean_url(_pick(row, plan.url)) if plan.url else (None, None)
        if url_error:
            extra["url_error"] = url_error
        if url is None and self.mapping.url_template:
            url = self._from_template(external_id, author, extra)

        metrics: dict[str, int] = {}
        for name, accs in plan.metrics:
            count = parse_count(_pick(row, accs))
            if count is not None:
                metrics[name] = count
        lang = _short(_pick(row, plan.lang)) if plan.lang else None
        return RawItem(
            external_id=external_id,
            text=text,
            url=url,
            title=_short(_pick(row, plan.title)) if plan.title else None,
            author=author,
            author_reach=parse_count(_pick(row, plan.author_reach)) if plan.author_reach else None,
            published=self.now if date_missing else published,
            date_missing=date_missing,
            metrics=metrics,
            lang=lang[:16].lower() if lang else None,
            location=self.location,
            line=line,
            warning=warning,
            extra=extra,
        )

    def _reply(self, plan: Plan, row: Any, extra: dict[str, Any]) -> str | None:
        """Put the row's reply time (and who replied) into ``extra``; the warning for a reply
        time that does not parse (the row is stored without it)."""
        raw = _pick(row, plan.replied_at)
        if raw is None:
            return None
        at = parse_datetime(raw, date_format=self.mapping.date_format, tz=self.tz, now=self.now)
        if at is None:
            return (
                f"of {self.location} with a reply time that is not a date and time in column "
                f"{plan.replied_column!r}: stored without their reply"
            )
        extra["replied_at"] = at
        if plan.replied_by and (by := _short(_pick(row, plan.replied_by))) is not None:
            extra["replied_by"] = by
        return None

    def _from_template(
        self, external_id: str, author: str | None, extra: Mapping[str, Any]
    ) -> str | None:
        assert self.mapping.url_template is not None
        if external_id.startswith("h:"):
            return None  # a made-up id has no page
        values = {**extra, "external_id": external_id, "author": author}
        missing = False

        def fill(match: re.Match[str]) -> str:
            nonlocal missing
            value = values.get(match.group(1))
            if not isinstance(value, str) or not value:
                missing = True
                return ""
            return quote(value, safe="")

        url = _PLACEHOLDER.sub(fill, self.mapping.url_template)
        return None if missing else url
