"""The source a file that is not a configured source is stored under (inbox drops, CLI ingest).

A mention is unique by (source, external id), so a file's source is what its row ids are ids
in: ``<parent>/<platform>`` when its preset reads a platform's ids (``inbox/weibo``: a Weibo
post is the same post in whichever export it comes), else ``<parent>/<file name>`` (a CRM's
row 17 is not Weibo's, nor another system's). Rows without an id are keyed by their content
(see ``export_rows``). The ``/`` cannot occur in a configured id, so a derived source never
collides with a configured one; it takes its parent's tier.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from monitor.collectors.presets import PLATFORMS

SEPARATOR = "/"
MAX_ID = 64  # sources.id
DEFAULT_TIER = 3
_UNSAFE = re.compile(r"[^a-z0-9_.-]+")


def file_source_id(*, parent: str, preset: str, path: Path) -> str:
    """The source id of an export file read with ``preset``, under ``parent``."""
    platform = PLATFORMS.get(preset)
    if platform is None:
        # the name keeps its extension, so it never reads as a platform (``weibo.csv``)
        name = _UNSAFE.sub("-", path.name.lower()).strip("-.") or "file"
        platform = name[: MAX_ID - len(parent) - len(SEPARATOR)]
    return f"{parent}{SEPARATOR}{platform}"


def tier_of(tiers: Mapping[str, int], source_id: str) -> int:
    """A source's tier: its own, else its parent's (``inbox/weibo`` -> ``inbox``), else 3."""
    tier = tiers.get(source_id)
    if tier is None:
        tier = tiers.get(source_id.partition(SEPARATOR)[0], DEFAULT_TIER)
    return tier
