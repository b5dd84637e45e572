"""Console wording in English and Chinese: ``locale/*.yaml`` files, one per area.

Each file maps a key to ``{en: ..., zh: ...}``; the page's language is the ``cw_lang`` cookie,
else the organisation's locale. A key missing from the catalogue shows as itself (a test
checks every key used by the templates has both languages).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Final

import yaml

LANGS: Final = ("en", "zh")


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every key of every ``locale/*.yaml`` file; a key defined twice is an error."""
    merged: dict[str, dict[str, str]] = {}
    folder = resources.files("monitor.web") / "locale"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
        for key, texts in data.items():
            if key in merged:
                raise ValueError(f"locale/{entry.name}: key {key!r} is defined twice")
            merged[str(key)] = {str(k): str(v) for k, v in texts.items()}
    return merged


def translate(key: str, lang: str, /, **values: object) -> str:
    """The text of ``key`` in ``lang`` (English if missing), with ``{name}`` filled in."""
    texts = catalogue().get(key)
    text = key if texts is None else texts.get(lang) or texts.get("en") or key
    return text.format(**values) if values else text
