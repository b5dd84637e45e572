"""Turn untrusted feed fields into clean plain values: text, dates, links, language tags.

Everything here is pure and total: bad input yields an empty string or ``None``, never an
exception, because one odd entry must not cost the rest of its feed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

TEXT_LIMIT_BYTES = 100 * 1024
# Markup is fed to the HTML parser in slices so a huge entry stops costing CPU once enough
# text has been collected; the slack covers tags and whitespace that collapse away.
_HTML_SLICE = 64 * 1024

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})

# Elements whose content is never readable prose.
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template"})
# Elements that separate words visually; without a space "<p>a</p><p>b</p>" would read "ab".
_BLOCK_TAG_NAMES = (
    "address article aside blockquote br caption dd div dl dt figcaption figure footer"
    " h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table td th tr ul"
)
_BLOCK_TAGS = frozenset(_BLOCK_TAG_NAMES.split())

# C0/C1 controls (other than whitespace, collapsed below) and the BOM: they break databases
# (NUL in PostgreSQL text) and renderers, and carry no meaning in a mention.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff]")
_SPACE_RE = re.compile(r"\s+")
_LANG_RE = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8}){0,7}$")


class _TextExtractor(HTMLParser):
    """Collects character data, dropping script/style contents and spacing block elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.size = 0
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)
            self.size += len(data)


def clean_text(value: str | None) -> str:
    """Drop control characters and collapse all whitespace runs to single spaces."""
    if not value:
        return ""
    return _SPACE_RE.sub(" ", _CONTROL_RE.sub("", value)).strip()


def html_to_text(markup: str | None, *, limit: int = TEXT_LIMIT_BYTES) -> str:
    """Reduce HTML to plain text: tags stripped, entities unescaped, whitespace collapsed."""
    if not markup:
        return ""
    parser = _TextExtractor()
    try:
        for start in range(0, len(markup), _HTML_SLICE):
            parser.feed(markup[start : start + _HTML_SLICE])
            if parser.size > limit:
                break
        parser.close()
    except Exception:  # html.parser is lenient, but this input is hostile: keep what we have
        pass
    return clean_text("".join(parser.parts))


def field_text(value: str | None, content_type: str | None) -> str:
    """Plain text of one feed field, stripping markup only when the field is declared HTML."""
    if (content_type or "").strip().lower() in HTML_TYPES:
        return html_to_text(value)
    return clean_text(value)


def cap_utf8(text: str, limit: int = TEXT_LIMIT_BYTES) -> tuple[str, bool]:
    """Cut text to at most ``limit`` UTF-8 bytes on a character boundary; say if it was cut."""
    if len(text) * 4 <= limit:
        return text, False
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text, False
    return data[:limit].decode("utf-8", "ignore"), True


def one_line(value: object, limit: int = 300) -> str:
    """A single line of at most ``limit`` characters, for error messages and excerpts."""
    text = clean_text(str(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(exc: BaseException) -> str:
    """``Type: message`` for an exception, or just the type when it has no message."""
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def struct_to_utc(value: Sequence[int] | None) -> datetime | None:
    """A feedparser ``*_parsed`` 9-tuple (already UTC) as an aware datetime, or None if bad."""
    if value is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(v) for v in value[:6])
        # struct_time allows leap seconds (60, 61); datetime does not.
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def safe_http_url(value: str | None, *, limit: int = 2048) -> str | None:
    """The link if it is an absolute http(s) URL of sane length, else None."""
    if not value:
        return None
    link = value.strip()
    if len(link) > limit or _CONTROL_RE.search(link) or any(c.isspace() for c in link):
        return None
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return link


def clean_lang(value: str | None) -> str | None:
    """A declared language tag if it looks like one (``en``, ``zh-CN``, ``zh_cn``), else None."""
    if not value:
        return None
    tag = value.strip()
    return tag if _LANG_RE.match(tag) else None


def stable_id(value: str, *, limit: int = 512) -> str:
    """An entry id cleaned of control characters; overlong ids become a hash of themselves."""
    ident = _CONTROL_RE.sub("", value).strip()
    if len(ident) <= limit:
        return ident
    return "sha256:" + hashlib.sha256(ident.encode("utf-8", "replace")).hexdigest()[:32]
