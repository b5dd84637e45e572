"""RSS/Atom/RDF collector: a conditional GET with hard limits, then feedparser on the bytes.

``fetch_feed`` and ``parse_feed`` never raise on anything a server or a feed can do: a failed
fetch or an unusable document becomes ``FetchOutcome.error`` (one line), an unusable entry a
``Rejected``, and a malformed feed that still yields entries is accepted with its bozo reason.
feedparser is only ever handed bytes, so it never fetches anything itself.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import feedparser
import httpx

from monitor.collectors.base import RawItem, Rejected, content_hash, with_title
from monitor.collectors.feedhttp import (
    DEFAULT_USER_AGENT,
    Deadline,
    default_budget,
    error_line,
    make_client,
    read_body,
)
from monitor.collectors.feedtext import (
    cap_utf8,
    clean_lang,
    clean_text,
    describe,
    field_text,
    one_line,
    safe_http_url,
    stable_id,
    struct_to_utc,
)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Dates further ahead than this are clock or timezone garbage; left in, they would sort
# the entry as "newest" for as long as it stays in the feed.
_FUTURE_TOLERANCE = timedelta(days=1)
_TITLE_LIMIT = 1000
_AUTHOR_LIMIT = 200
_HEADER_VALUE_LIMIT = 1024


@dataclass(frozen=True)
class FeedState:
    """Validators stored from the previous fetch, sent back for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchOutcome:
    """What one fetch or parse produced; ``error`` is set when nothing usable came back."""

    url: str
    status: int | None = None
    not_modified: bool = False
    items: tuple[RawItem, ...] = ()
    etag: str | None = None  # the values to store for the next fetch
    last_modified: str | None = None
    bozo_reason: str | None = None  # malformed, but entries were still recovered
    error: str | None = None
    entries_seen: int = 0
    rejected: tuple[Rejected, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when the fetch succeeded (including 304 Not Modified)."""
        return self.error is None


def fetch_feed(
    *,
    client: httpx.Client,
    url: str,
    state: FeedState,
    now: datetime,
    max_bytes: int = DEFAULT_MAX_BYTES,
    deadline_s: float | None = None,
) -> FetchOutcome:
    """Conditionally GET one feed and parse it; every failure is reported, never raised."""
    kept = FetchOutcome(url=url, etag=state.etag, last_modified=state.last_modified)
    deadline: Deadline | None = None
    try:
        budget = deadline_s if deadline_s is not None else default_budget(client)
        with Deadline(budget) as deadline:
            return _fetch(client, url, state, now, max_bytes, deadline, kept)
    except Exception as exc:  # a poller must survive any server; the reason is kept
        return replace(kept, error=error_line(exc, client=client, url=url, deadline=deadline))


def parse_feed(
    body: bytes, *, url: str, headers: Mapping[str, str] | None, now: datetime
) -> FetchOutcome:
    """Parse feed bytes into items; malformed feeds are recorded, never raised."""
    try:
        return _parse(body, url=url, headers=headers or {}, now=_as_utc(now))
    except Exception as exc:  # feedparser on hostile input: report it, never propagate
        return FetchOutcome(url=url, error=one_line(f"feed parser failed: {describe(exc)}"))


def _fetch(
    client: httpx.Client,
    url: str,
    state: FeedState,
    now: datetime,
    max_bytes: int,
    deadline: Deadline,
    kept: FetchOutcome,
) -> FetchOutcome:
    request_headers = _conditional_headers(state)
    trace = {"trace": deadline.trace}
    with client.stream("GET", url, headers=request_headers, extensions=trace) as response:
        status = response.status_code
        kept = replace(kept, status=status)
        if status == 304:
            return replace(
                kept,
                not_modified=True,
                etag=_validator(response.headers.get("etag")) or state.etag,
                last_modified=_validator(response.headers.get("last-modified"))
                or state.last_modified,
            )
        if not 200 <= status < 300:
            return replace(kept, error=f"HTTP {status} from {url}")
        try:
            body = read_body(response, max_bytes=max_bytes, deadline=deadline)
        except Exception as exc:  # keep the status in the report
            return replace(kept, error=error_line(exc, client=client, url=url, deadline=deadline))
        headers = _parse_headers(response)
    outcome = parse_feed(body, url=url, headers=headers, now=now)
    if outcome.error:
        # Keep the old validators: storing new ones would turn the next poll into a 304 and
        # hide a feed that is still broken.
        return replace(outcome, status=status, etag=state.etag, last_modified=state.last_modified)
    return replace(outcome, status=status)


def _conditional_headers(state: FeedState) -> dict[str, str]:
    headers: dict[str, str] = {}
    if etag := _validator(state.etag):
        headers["If-None-Match"] = etag
    if modified := _validator(state.last_modified):
        headers["If-Modified-Since"] = modified
    return headers


def _validator(value: str | None) -> str | None:
    """A header value safe to store and send back (printable ASCII, bounded), else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > _HEADER_VALUE_LIMIT:
        return None
    if not value.isascii() or not value.isprintable():
        return None
    return value


def _parse_headers(response: httpx.Response) -> dict[str, str]:
    """Response headers for feedparser: lower-case keys, transport-only headers removed."""
    headers = {
        key.lower(): value
        for key, value in response.headers.items()
        if key.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    }
    # Relative links resolve against the final URL after redirects.
    final = str(response.url)
    try:
        location = urljoin(final, headers.get("content-location", ""))
    except ValueError:  # e.g. a malformed IPv6 host: ignore the header, not the feed
        location = final
    headers["content-location"] = location if safe_http_url(location) else final
    return headers


def _parse(body: bytes, *, url: str, headers: Mapping[str, str], now: datetime) -> FetchOutcome:
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    location = lowered.get("content-location")
    if not location or not safe_http_url(location):
        lowered["content-location"] = url
    base = FetchOutcome(
        url=url,
        etag=_validator(lowered.get("etag")),
        last_modified=_validator(lowered.get("last-modified")),
    )
    if not body:
        return replace(base, error="not a feed: empty body")
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers=lowered,
        sanitize_html=True,
        # Only entry links are kept and feedparser resolves those anyway; rewriting every URI
        # inside content that is about to be reduced to plain text is wasted work.
        resolve_relative_uris=False,
    )
    entries = list(parsed.get("entries") or [])
    bozo_reason = _bozo_reason(parsed)
    items, rejected = _convert_entries(entries, parsed.get("feed") or {}, url=url, now=now)
    outcome = replace(
        base, items=items, rejected=rejected, entries_seen=len(entries), bozo_reason=bozo_reason
    )
    if not items:
        # Nothing usable: an empty well-formed feed is fine, anything else is not a feed.
        error = _no_items_error(parsed, lowered, bozo_reason, usable=not entries)
        return replace(outcome, error=error)
    return outcome


def _bozo_reason(parsed: Mapping[str, Any]) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    reason = str(exc) if exc is not None else ""
    return one_line(reason or type(exc).__name__, 200)


def _no_items_error(
    parsed: Mapping[str, Any],
    headers: Mapping[str, str],
    bozo_reason: str | None,
    *,
    usable: bool,
) -> str | None:
    content_type = headers.get("content-type", "").split(";")[0].strip() or "no Content-Type"
    content_type = one_line(content_type, 80)
    entries = "entries" if usable else "usable entries"
    if bozo_reason:
        return f"not a feed: got {content_type} with no {entries} (bozo: {bozo_reason})"
    if not parsed.get("version"):
        return f"not a feed: got {content_type} with no RSS, Atom or RDF root element"
    return None  # a well-formed feed with nothing in it right now


def _convert_entries(
    entries: list[Any], feed: Mapping[str, Any], *, url: str, now: datetime
) -> tuple[tuple[RawItem, ...], tuple[Rejected, ...]]:
    feed_lang = clean_lang(_s(feed.get("language")))
    feed_title = one_line(
        field_text(_s(feed.get("title")), _s((feed.get("title_detail") or {}).get("type"))), 300
    )
    items: list[RawItem] = []
    rejected: list[Rejected] = []
    for index, entry in enumerate(entries, start=1):
        try:
            result = _entry_to_item(
                entry, index=index, url=url, now=now, feed_lang=feed_lang, feed_title=feed_title
            )
        except Exception as exc:  # one odd entry must not cost the rest of the feed
            result = _reject(entry, url, f"entry {index}: {describe(exc)}")
        if isinstance(result, Rejected):
            rejected.append(result)
        else:  # entries sharing an id are told apart by content at ingest (store.unseen)
            items.append(result)
    return tuple(items), tuple(rejected)


def _entry_to_item(
    entry: Mapping[str, Any],
    *,
    index: int,
    url: str,
    now: datetime,
    feed_lang: str | None,
    feed_title: str,
) -> RawItem | Rejected:
    title_type = _s((entry.get("title_detail") or {}).get("type"))
    title = one_line(field_text(_s(entry.get("title")), title_type), _TITLE_LIMIT)
    body = _body_text(entry)
    text = with_title(title, body)
    if not text:
        return _reject(entry, url, f"entry {index}: no title or text")
    text, truncated = cap_utf8(text)
    link = _s(entry.get("link")).strip()
    external_id = (
        stable_id(_s(entry.get("id"))) or stable_id(link) or content_hash(f"{title}\n{body}")
    )
    extra: dict[str, Any] = {}
    published = struct_to_utc(entry.get("published_parsed")) or struct_to_utc(
        _own(entry, "updated_parsed")
    )
    if published is not None and published > now + _FUTURE_TOLERANCE:
        extra["date_rejected"] = published.isoformat()
        published = None
    date_missing = published is None
    if date_missing:
        raw_date = _s(entry.get("published")) or _s(_own(entry, "updated"))
        if raw_date:
            extra["date_raw"] = one_line(raw_date, 100)
    if truncated:
        extra["truncated"] = True
    if feed_title:
        extra["feed_title"] = feed_title
    author_detail = entry.get("author_detail") or {}
    author = clean_text(_s(author_detail.get("name")) or _s(entry.get("author")))
    return RawItem(
        external_id=external_id,
        text=text,
        url=safe_http_url(link),
        title=title or None,
        author=one_line(author, _AUTHOR_LIMIT) or None,
        published=now if published is None else published,
        date_missing=date_missing,
        lang=_entry_lang(entry) or feed_lang,
        location=url,
        extra=extra,
    )


def _body_text(entry: Mapping[str, Any]) -> str:
    """Full content when the entry has it, else its summary/description."""
    for part in entry.get("content") or ():
        text = field_text(_s(part.get("value")), _s(part.get("type")))
        if text:
            return text
    summary_type = _s((entry.get("summary_detail") or {}).get("type"))
    return field_text(_s(entry.get("summary")), summary_type)


def _entry_lang(entry: Mapping[str, Any]) -> str | None:
    details = [*(entry.get("content") or ())[:1]]
    details += [entry.get("summary_detail"), entry.get("title_detail")]
    for detail in details:
        if detail and (lang := clean_lang(_s(detail.get("language")))):
            return lang
    return clean_lang(_s(entry.get("language")))


def _reject(entry: Mapping[str, Any], url: str, error: str) -> Rejected:
    try:
        excerpt = one_line(
            f"id={_s(entry.get('id'))!r} link={_s(entry.get('link'))!r} "
            f"title={_s(entry.get('title'))!r}",
            200,
        )
    except Exception:  # the entry itself may be what is broken
        excerpt = ""
    try:
        key = stable_id(_s(entry.get("id"))) or stable_id(_s(entry.get("link"))) or None
    except Exception:  # noqa: BLE001 - as above: then its position in the feed names it
        key = None
    return Rejected(
        location=url, line=None, offset=None, error=one_line(error), excerpt=excerpt, key=key
    )


def _own(entry: Mapping[str, Any], key: str) -> Any:
    """The entry's own value; feedparser aliases a missing ``updated*`` to ``published*``."""
    return dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)


def _s(value: object) -> str:
    return value if isinstance(value, str) else ""


def _as_utc(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_USER_AGENT",
    "FeedState",
    "FetchOutcome",
    "fetch_feed",
    "make_client",
    "parse_feed",
]
