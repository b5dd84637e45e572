"""What every collector produces (registered in monitor.pipeline.sources).

A collector turns one source (a feed URL, an export file) into ``RawItem`` values and
``Rejected`` rows. Collectors never raise on bad input: a broken row or feed becomes a
``Rejected`` (or a ``FetchOutcome.error``) and collection goes on, as feedparser's bozo does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class CollectorError(Exception):
    """A source cannot be collected at all (unreadable file, unknown preset, bad options)."""


def with_title(title: str | None, text: str) -> str:
    """Title and text as one, without repeating a title the text already holds: social feeds
    (Weibo via RSSHub and the like) title an item with the start of its text, often cut short
    with an ellipsis."""
    if not text:
        return title or ""
    head = (title or "").rstrip(" .…").casefold()
    return f"{title}\n{text}" if head and head not in text.casefold() else text


# Not frozen: a frozen dataclass costs three times as much to create, on every row of every
# ingest; collectors and the pipeline treat these values as immutable.
@dataclass(slots=True)
class RawItem:
    """One mention as collected, before normalisation, matching and scoring."""

    external_id: str
    text: str
    url: str | None = None
    title: str | None = None
    author: str | None = None
    author_reach: int | None = None
    published: datetime | None = None  # timezone-aware UTC, or None when the source gave none
    date_missing: bool = False  # True when ``published`` fell back to the collection time
    metrics: Mapping[str, int] = field(default_factory=dict)  # likes, reposts, comments, views...
    lang: str | None = None  # as declared by the source, if any
    location: str | None = None  # file path or feed URL, for error messages
    line: int | None = None  # 1-based line/row in an export file; lets an interrupted ingest resume
    warning: str | None = None  # a problem that did not stop the row (reported in the summary)
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row or entry that could not become a ``RawItem``; it is quarantined, not lost."""

    location: str  # file path or URL
    line: int | None  # 1-based line (CSV/JSONL/XLSX row) or None
    offset: int | None  # byte offset where known
    error: str  # one line naming the field and what was expected
    excerpt: str  # the raw text, truncated
    # what identifies the record in its source when ``line`` does not (a feed entry's id or
    # link: its position moves as the feed changes); the quarantine stores each record once
    key: str | None = None


def content_hash(text: str) -> str:
    """Stable hash of normalised text, used for exact-duplicate detection."""
    normalised = " ".join(text.split()).casefold()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:32]
