"""Silences: known noise (an entity, category or source) alerts nobody until a set time.

A silence matches when every field it sets equals the incident's (case-insensitive) and
``now`` is before ``until``; unset fields match anything. A source also covers the sources
named under it (``inbox`` covers ``inbox/weibo``). Silences suppress alerts only: the
caller keeps recording mentions and incidents.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from playbooks.errors import SilenceError

MAX_REASON_CHARS = 500


@dataclass(frozen=True, slots=True)
class Silence:
    """Suppress alerts for matching incidents until ``until``, with why and who."""

    entity: str | None
    category: str | None
    source: str | None
    until: datetime
    reason: str
    created_by: str

    def __post_init__(self) -> None:
        for name in ("entity", "category", "source"):
            value = getattr(self, name)
            if value is not None and not value.strip():
                object.__setattr__(self, name, None)  # "" would otherwise match nothing
        if self.entity is None and self.category is None and self.source is None:
            raise SilenceError("a silence needs an entity, a category or a source", key="silence")
        if self.until.tzinfo is None or self.until.utcoffset() is None:
            raise SilenceError("until must be timezone-aware", key="silence.until")
        if not self.reason.strip() or len(self.reason) > MAX_REASON_CHARS:
            raise SilenceError(
                f"reason must be 1 to {MAX_REASON_CHARS} characters", key="silence.reason"
            )
        if not self.created_by.strip():
            raise SilenceError("created_by must not be empty", key="silence.created_by")

    def matches(
        self, *, entity: str | None, category: str | None, source: str | None, now: datetime
    ) -> bool:
        """True while active and every field this silence sets equals the given one."""
        if now >= self.until:
            return False
        pairs = ((self.entity, entity), (self.category, category))
        if self.source is not None and not (
            _same(self.source, source) or _same(self.source, (source or "").partition("/")[0])
        ):
            return False
        return all(want is None or _same(want, got) for want, got in pairs)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "entity": self.entity,
            "category": self.category,
            "source": self.source,
            "until": self.until.isoformat(),
            "reason": self.reason,
            "created_by": self.created_by,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Silence:
        """Rebuild from ``to_dict`` output; SilenceError names a bad key."""
        try:
            until = datetime.fromisoformat(data["until"])
            return cls(
                entity=data.get("entity"),
                category=data.get("category"),
                source=data.get("source"),
                until=until,
                reason=data["reason"],
                created_by=data["created_by"],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SilenceError(f"invalid silence record: {exc}", key="silence") from None


def is_silenced(
    *,
    silences: Iterable[Silence],
    entity: str | None,
    category: str | None,
    source: str | None,
    now: datetime,
) -> Silence | None:
    """The matching active silence that lasts longest, or None."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise SilenceError("now must be timezone-aware", key="is_silenced")
    matching = [
        silence
        for silence in silences
        if silence.matches(entity=entity, category=category, source=source, now=now)
    ]
    return max(matching, key=lambda silence: silence.until, default=None)


def _same(want: str, got: str | None) -> bool:
    return got is not None and want.strip().casefold() == got.strip().casefold()
