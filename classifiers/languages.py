"""The languages crisiswatch scores (one definition for the whole project).

Text in any other language is scored as ``OTHER``: it degrades gracefully (unknown
sentiment, lexicon-only categories), it never fails.
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final[tuple[str, ...]] = ("zh", "en")
OTHER: Final = "other"
ALL_LANGS: Final[frozenset[str]] = frozenset((*LANGUAGES, OTHER))


def supported(lang: str | None) -> str:
    """``lang`` when it is one of LANGUAGES (``zh-CN`` counts as ``zh``), else ``OTHER``."""
    base = (lang or "").lower().split("-")[0].split("_")[0]
    return base if base in LANGUAGES else OTHER
