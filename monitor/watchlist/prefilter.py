"""Cheap rejection of documents that cannot match an entity, before any query runs.

Each entity has anchors: terms one of which must occur for its query to be true (see
`compiler.anchors`). Each anchor term yields key substrings (`literal.prefilter_keys`, its
Traditional and full-width spellings included); a document is a candidate for an entity
when one of the entity's keys occurs in its folded text. The result is a bit mask.

Measured on ~200-character texts: ASCII keys are found fastest by one `in` scan each
(~0.1 us; a regex alternation of common Latin letters costs 2-3 us), while non-ASCII keys
are found fastest by one regex alternation (~0.7 us for all of them, since their first
characters are rare and re skips to them), which also covers every variant spelling.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import compress

from monitor.watchlist.literal import prefilter_keys


def _prune(key_masks: dict[str, int]) -> dict[str, int]:
    """Drop keys that contain another key flagging a superset of their entities."""
    return {
        key: mask
        for key, mask in key_masks.items()
        if not any(o != key and o in key and mask & ~key_masks[o] == 0 for o in key_masks)
    }


class Prefilter:
    """Candidate entities for a folded text, as a bit mask (bit i = entity i)."""

    def __init__(self, entity_anchors: Sequence[frozenset[str] | None]) -> None:
        self.always = 0  # entities with no anchor key run on every document
        key_masks: dict[str, int] = {}
        # Single-piece terms first, so that phrases can reuse their keys ("acme phone"
        # is keyed on "acme" when "acme" is a key anyway: one scan fewer).
        single = frozenset(t for terms in entity_anchors for t in terms or () if " " not in t)
        preferred = frozenset(k for t in single for k in prefilter_keys(t)[:1])
        for i, anchor_terms in enumerate(entity_anchors):
            spellings = [prefilter_keys(t, preferred) for t in anchor_terms or ()]
            if anchor_terms is None or not all(spellings):
                self.always |= 1 << i
                continue
            for key in (k for keys in spellings for k in keys):
                key_masks[key] = key_masks.get(key, 0) | 1 << i
        kept = _prune(key_masks)
        ascii_keys = {k: m for k, m in kept.items() if k.isascii()}
        self.ascii_keys = tuple(ascii_keys)
        self.ascii_masks = tuple(ascii_keys.values())
        other = sorted((k for k in kept if not k.isascii()), key=len, reverse=True)
        # re reports one key per start position, the longest (alternatives are ordered by
        # length); any other key starting there is a prefix of it, so it inherits their bits.
        self.other_masks = {
            key: _or(m for k, m in kept.items() if key.startswith(k)) for key in other
        }
        self.other_re = re.compile("|".join(map(re.escape, other))) if other else None

    def candidates(self, text: str) -> int:
        """Return the bit mask of entities that may match the folded text."""
        found = self.always
        for mask in compress(self.ascii_masks, map(text.__contains__, self.ascii_keys)):
            found |= mask
        if self.other_re is None or text.isascii():
            return found
        search, masks = self.other_re.search, self.other_masks
        hit = search(text)
        while hit is not None:
            found |= masks[hit.group()]
            hit = search(text, hit.start() + 1)
        return found


def _or(masks: Iterable[int]) -> int:
    out = 0
    for mask in masks:
        out |= mask
    return out
