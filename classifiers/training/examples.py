"""One labelled training text and the dedup key every training set shares.

Kept apart from the readers so the background (weak-negative) sets and the risk readers can
both use them without importing each other.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from classifiers.text import clean, to_simplified

_RT_RE = re.compile(r"^(?:rt\s+@user\s*:?\s*)+")
_KEY_DROP_RE = re.compile(r"\burl\b|@user|[\W_]+")


@dataclass(frozen=True)
class Example:
    """One labelled text; ``weight`` < 1 marks a weak label, ``source`` names its set."""

    text: str
    label: int
    source: str
    weight: float = 1.0
    group: str = ""


def norm_key(text: str) -> str:
    """Dedup key: cleaned, lower-case, Simplified, no retweet prefix, URLs, handles, punctuation."""
    t = to_simplified(clean(text).lower())
    t = _RT_RE.sub("", t)
    key = _KEY_DROP_RE.sub("", t)
    # A post that is only a link or a handle (common spam) is keyed by its raw text instead.
    return key or "".join(str(text).lower().split())


def hash_share(text: str, salt: bytes = b"") -> float:
    """A stable number in [0, 1) for the text (by its ``norm_key``): texts below a share form a
    slice that every run and every set agrees on; ``salt`` draws an independent slice."""
    digest = hashlib.sha1(salt + norm_key(text).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 2**32
