"""Cleaning and cutting of untrusted text: the one place every renderer (alerts, the digest,
incident reports, the command line) cleans outside text.

Removes what can make text lie about itself (bidi overrides, control characters, lone
surrogates, invisible characters) and cuts text to a size with a visible marker. Escaping is
per format and lives with each renderer.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from typing import Any, Final, TypeVar
from urllib.parse import quote, urlsplit

_T = TypeVar("_T")

TRUNCATION_MARKER: Final = "… (truncated)"

# Bidirectional formatting characters: they can reorder what a reader sees ("evil.com/moc.kcab").
BIDI_CONTROLS: Final[frozenset[str]] = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Invisible characters with no legitimate use in a shown name or text (ZWJ/ZWNJ stay: emoji
# and scripts need them): zero-width space, word joiner, BOM, soft hyphen, invisible operators,
# the Mongolian vowel separator and the Hangul fillers that make a name look blank.
_INVISIBLE: Final[frozenset[str]] = frozenset(
    "\u200b\u2060\ufeff\u00ad\u2061\u2062\u2063\u2064\u180e\u115f\u1160\u3164\uffa0"
)
_LINE_BREAKS: Final = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\t": " "})
MAX_URL_CHARS: Final = 2000
# RFC 3986 reserved and unreserved characters minus those that break markup: ( ) < > " ' | ` space.
_URL_SAFE: Final = ":/?#@!$&*+,;=%-._~"
_NETLOC_BREAKERS: Final = frozenset("<>\"'|()`\\{}^ ")


def clean_text(text: str, *, single_line: bool = False) -> str:
    """Drop control, bidi and invisible characters; optionally fold all whitespace to spaces."""
    text = text.replace("\r\n", "\n").translate(_LINE_BREAKS)
    out: list[str] = []
    for ch in text:
        if ch == "\n":
            out.append(" " if single_line else "\n")
            continue
        if ch in BIDI_CONTROLS or ch in _INVISIBLE:
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs"):
            continue
        out.append(ch)
    cleaned = "".join(out)
    if single_line:
        return " ".join(cleaned.split())
    lines = [line.rstrip() for line in cleaned.split("\n")]
    return "\n".join(lines).strip("\n")


def one_line(text: str | None, limit: int) -> str:
    """Outside text as one clean line of at most ``limit`` characters, cut with "…" (command
    line, incident titles)."""
    if not text:
        return ""
    return truncate(clean_text(text[: limit * 4], single_line=True), limit, marker="…")


def clean_tree(value: _T) -> _T:
    """A copy of a value tree (dataclasses, tuples, lists, dicts) with every string cleaned
    to one line, for documents built from stored outside text (the digest)."""
    cleaned: Any
    if isinstance(value, str):
        cleaned = clean_text(value, single_line=True)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: clean_tree(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init
        }
        cleaned = dataclasses.replace(value, **changes)
    elif isinstance(value, tuple | list):
        cleaned = type(value)(clean_tree(item) for item in value)
    elif isinstance(value, dict):
        cleaned = {clean_tree(k): clean_tree(v) for k, v in value.items()}
    else:
        cleaned = value
    return cleaned  # type: ignore[no-any-return]


def truncate(text: str, limit: int, *, marker: str = TRUNCATION_MARKER) -> str:
    """Cut ``text`` to at most ``limit`` characters, ending with ``marker`` when cut."""
    if len(text) <= limit:
        return text
    if limit <= len(marker):
        return marker[:limit]
    return text[: limit - len(marker)].rstrip() + marker


def truncate_bytes(text: str, limit: int, *, marker: str = TRUNCATION_MARKER) -> str:
    """Cut ``text`` to at most ``limit`` UTF-8 bytes, at a line break when one is near the end."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = limit - len(("\n" + marker).encode("utf-8"))
    if room <= 0:
        return marker.encode("utf-8")[:limit].decode("utf-8", "ignore")
    head = data[:room].decode("utf-8", "ignore")
    cut = head.rfind("\n")
    # Prefer a whole-line cut unless it throws away more than a quarter of the room.
    if cut >= len(head) * 3 // 4:
        return head[:cut] + "\n" + marker
    return head.rstrip() + "\n" + marker


def safe_url(url: str | None) -> str | None:
    """Return an http(s) URL safe to embed in markup, percent-encoding breakers; else None."""
    if not url:
        return None
    candidate = clean_text(url, single_line=True)
    if not candidate or " " in candidate or len(candidate) > MAX_URL_CHARS:
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    netloc: str | None = parts.netloc
    if netloc is not None and not netloc.isascii():
        netloc = _idna_netloc(netloc)
    if netloc is None or any(ch in _NETLOC_BREAKERS for ch in netloc):
        return None
    url_out = f"{parts.scheme.lower()}://{netloc}{quote(parts.path, safe=_URL_SAFE)}"
    if parts.query:
        url_out += "?" + quote(parts.query, safe=_URL_SAFE)
    if parts.fragment:
        url_out += "#" + quote(parts.fragment, safe=_URL_SAFE)
    return url_out


def _idna_netloc(netloc: str) -> str | None:
    """Encode an internationalised host name (例子.中国) with IDNA; None when impossible."""
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.partition(":")
    try:
        encoded = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if not (userinfo.isascii() and port.isascii()):
        return None
    return f"{userinfo}{at}{encoded}{colon}{port}"
