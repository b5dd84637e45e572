"""The baseline benchmarks/stories.py measures: the near-duplicate joining incidents used before
stories (the former monitor/incidents/fingerprint.py, kept here only as that baseline).

Near-duplicate fingerprints: 64-bit SimHash over character trigrams of normalised text.

Reposts (``转发 //@someone: ...``, ``RT @desk: ...``) and syndicated copies (a headline with a
different banner or footer) land within a few bits of the original; unrelated posts about the
same brand sit around 32 bits apart. Similarity is ``1 - hamming / 64``, so the default
``near_duplicate: 0.8`` joins texts at most 12 bits apart. Texts shorter than
``MIN_CHARS`` after normalisation ("thanks!", "no") are too short to compare and never match.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

MIN_CHARS = 24
MAX_CHARS = 2000
_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"@[^\s:：,，]+")
_REPOST = re.compile(r"^(?:rt|转发微博|转发|repost|reposted|轉發微博|轉發)\b", re.IGNORECASE)
_PRIMES = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64
)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_SHIFTS = np.arange(64, dtype=np.uint64)


def normalise(text: str) -> str:
    """Lower-cased letters and digits only: links, @handles and repost markers removed."""
    folded = unicodedata.normalize("NFKC", text[: MAX_CHARS * 2]).lower()
    folded = _HANDLE.sub("", _URL.sub("", folded)).strip()
    folded = _REPOST.sub("", folded)
    return "".join(ch for ch in folded if ch.isalnum())[:MAX_CHARS]


def simhash(text: str) -> int | None:
    """The 64-bit SimHash of ``text``, or None when it is too short to compare."""
    core = normalise(text)
    if len(core) < MIN_CHARS:
        return None
    codes = np.frombuffer(core.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    grams = codes[:-2] * _PRIMES[0] + codes[1:-1] * _PRIMES[1] + codes[2:] * _PRIMES[2]
    # splitmix64 finaliser: spreads every trigram over all 64 bits
    grams ^= grams >> np.uint64(30)
    grams *= _MIX1
    grams ^= grams >> np.uint64(27)
    grams *= _MIX2
    grams ^= grams >> np.uint64(31)
    ones = ((grams[:, None] >> _SHIFTS) & np.uint64(1)).sum(axis=0)
    bits = (ones * 2 > len(grams)).astype(np.uint64)
    return int((bits << _SHIFTS).sum())


def max_distance(similarity: float) -> int:
    """Largest Hamming distance that still counts as ``similarity`` (0..1)."""
    return int((1.0 - similarity) * 64 + 1e-9)


def is_near(a: int, b: int, max_bits: int) -> bool:
    return (a ^ b).bit_count() <= max_bits
