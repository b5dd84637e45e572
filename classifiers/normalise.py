"""Text normalisation shared by watchlist matching and the classifiers (one definition).

`normalise(text)` is the reference form both queries and documents are compared in:
case-folded, Traditional Chinese folded to Simplified character by character (zhconv's
single-character zh-cn mappings), full-width ASCII and the ideographic space folded to
half-width, and invisible characters used to dodge keyword filters (zero-width space,
joiners, soft hyphen, BOM) removed.

The matcher avoids the Traditional->Simplified translation on its hot path: `fold(text)`
only case-folds (plus the full translation when full-width or invisible characters are
present, which is rare), and terms containing characters with Traditional variants are
compiled into character classes (see `variant_map`). Matching `fold(text)` with those
classes is equivalent to matching `normalise(text)` literally, because the mapping is one
character to one character; `str.translate` on CJK text costs ~20 ns per character, which
alone would exceed the per-document budget.

Tables are built once, on first use, never at import time.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

# Scripts written without spaces between words: terms in them match as substrings, and
# NEAR counts each of their characters as one token.
UNSPACED_RANGES = (
    "\u0e00-\u0e7f"  # Thai
    "\u1100-\u11ff"  # Hangul Jamo
    "\u2e80-\u2fdf"  # CJK radicals
    "\u3005-\u3007"  # 々 〆 〇
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3100-\u312f"  # Bopomofo
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u31f0-\u31ff"  # Katakana extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0003134f"  # CJK extensions B-G
)
_UNSPACED_RE = re.compile(f"[{UNSPACED_RANGES}]")
# A "spaced word character" (regex class): a letter/digit/underscore of a script that
# separates words with spaces. Word boundaries are checked against these.
SPACED_WORD = f"[^\\W{UNSPACED_RANGES}]"
_SPACED_WORD_RE = re.compile(SPACED_WORD)
# NEAR tokens: runs of spaced word characters, or one unspaced character each.
TOKEN_RE = re.compile(f"{SPACED_WORD}+|[{UNSPACED_RANGES}]")
_WS_RE = re.compile(r"\s+")

_DELETED = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
# Characters that send a document through the full translation (see module docstring):
# full-width letters and digits, and invisibles. Full-width punctuation (，！：) is in
# nearly every Chinese text, so it is handled by variant classes instead.
_SPECIAL_RE = re.compile(f"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a{_DELETED}]")
_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class _Tables:
    bmp: list[int | str | None]  # str.translate table indexed by code point < 0x10000
    astral: dict[int, str]  # the few mappings beyond the BMP
    needs: re.Pattern[str]  # finds any BMP character the table changes
    variants: dict[str, str]  # simplified char -> all chars that normalise to it (>= 2)
    to_simplified: dict[int, str]  # Traditional -> Simplified only (for display forms)


_tables: _Tables | None = None
_lock = threading.Lock()


def _build_tables() -> _Tables:
    # zhconv's own loader leaves its file open; read the same dictionary file directly.
    raw = resources.files("zhconv").joinpath("zhcdict.json").read_bytes()
    tables = json.loads(raw.decode("utf-8"))
    conv: dict[str, str] = dict(tables["zh2Hans"])
    conv.update(tables["zh2CN"])  # what zhconv.convert(text, "zh-cn") applies
    to_simp = {ord(k): v for k, v in conv.items() if len(k) == 1 and len(v) == 1 and k != v}
    # Iterate to a fixed point so normalise() is idempotent whatever the dictionary says.
    for key, val in list(to_simp.items()):
        seen = {key}
        while ord(val) in to_simp and ord(val) not in seen:
            seen.add(ord(val))
            val = to_simp[ord(val)]
        to_simp[key] = val
    full: dict[int, str | None] = dict(to_simp)
    for cp in range(0xFF01, 0xFF5F):
        full[cp] = chr(cp - 0xFEE0).casefold()
    full[0x3000] = " "
    for ch in _DELETED:
        full[ord(ch)] = None
    bmp: list[int | str | None] = list(range(0x10000))
    astral: dict[int, str] = {}
    for cp, out in full.items():
        if cp < 0x10000:
            bmp[cp] = out
        elif out is not None:
            astral[cp] = out
    groups: dict[str, list[str]] = {}
    for cp, out in full.items():
        if out is not None and (cp in to_simp or not out.isalnum()):
            groups.setdefault(out, [out]).append(chr(cp))
    variants = {simp: "".join(chars) for simp, chars in groups.items()}
    # Only BMP members: a class with astral members makes re fall back to a slow scan.
    needs = re.compile(
        "[" + "".join(re.escape(chr(cp)) for cp in sorted(full) if cp < 0x10000) + "]"
    )
    return _Tables(bmp=bmp, astral=astral, needs=needs, variants=variants, to_simplified=to_simp)


def tables() -> _Tables:
    """Return the conversion tables, building them on first use."""
    global _tables
    if _tables is None:
        with _lock:
            if _tables is None:
                _tables = _build_tables()
    return _tables


def normalise(text: str) -> str:
    """Return the matching form of text: case-folded, Simplified, half-width, invisibles removed."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    tab = tables()
    out = folded.translate(tab.bmp) if tab.needs.search(folded) else folded
    if _ASTRAL_RE.search(out) is not None:
        out = out.translate(tab.astral)
    return out


def fold(text: str) -> str:
    """Return the matcher's form of text: case-folded, fully normalised only when needed."""
    folded = text.casefold()
    if folded.isascii() or _SPECIAL_RE.search(folded) is None:
        return folded
    return folded.translate(tables().bmp)


def simplify(text: str) -> str:
    """Return text with Traditional characters mapped to Simplified (no case or width folding)."""
    if text.isascii():
        return text
    return text.translate(tables().to_simplified)


def collapse_ws(text: str) -> str:
    """Return text with whitespace runs collapsed to one space and the ends stripped."""
    return _WS_RE.sub(" ", text).strip()


def is_unspaced(ch: str) -> bool:
    """True when ch belongs to a script written without spaces (CJK, kana, Hangul, Thai)."""
    return _UNSPACED_RE.match(ch) is not None


def has_unspaced(text: str) -> bool:
    """True when text contains any character of a script written without spaces."""
    return _UNSPACED_RE.search(text) is not None


def is_spaced_word_char(ch: str) -> bool:
    """True when ch is a letter, digit or underscore of a space-separated script."""
    return _SPACED_WORD_RE.match(ch) is not None


def variant_map() -> Mapping[str, str]:
    """Return simplified char -> every char (itself included) that normalises to it."""
    return tables().variants
