"""The ``replies`` section: which mentions need a reply, by when, and the reply-rate goal.

A mention needs a reply when its intent (the intent classifier's label) is one with a deadline
here, and it came from a source that expects replies: a tier 2 or 3 source (posts on
platforms, our own accounts, reviews, exported comments) by default, never a tier 1 source
(national and major news, which nobody answers comment by comment); ``sources`` and
``skip_sources`` name exceptions by id or pattern. Where a mention has no intent (stored
unscored, or in a language without an intent model), a complaint category counts as a
complaint and a question mark as an enquiry.
"""

from __future__ import annotations

from datetime import timedelta
from fnmatch import fnmatchcase
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from config.durations import Duration

ReplyIntent = Literal["enquiry", "complaint"]
_DEFAULT_DEADLINES: dict[ReplyIntent, timedelta] = {
    "complaint": timedelta(hours=2),
    "enquiry": timedelta(hours=24),
}


class ReplySettings(BaseModel):
    """Reply deadlines for individual messages (enquiries and complaints)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="Give enquiries and complaints a reply deadline.")
    deadlines: dict[ReplyIntent, Duration] = Field(
        default_factory=lambda: _DEFAULT_DEADLINES.copy(),
        description="Time to reply per intent (the crisis plan's 2h for complaints, the annual "
        "plan's 24h for enquiries); an intent left out needs no reply.",
    )
    business_hours: bool = Field(
        True,
        description="Count deadlines in working hours (the owning team's, else the "
        "organisation's business_hours) where some are configured; else wall-clock time.",
    )
    tiers: tuple[int, ...] = Field(
        (2, 3),
        description="Source tiers whose mentions can need a reply (tier 1, national and "
        "major news, needs none).",
    )
    sources: tuple[str, ...] = Field(
        (),
        description="Source ids (or patterns such as inbox/*) whose mentions can need a "
        "reply whatever their tier.",
    )
    skip_sources: tuple[str, ...] = Field(
        (),
        description="Source ids (or patterns) whose mentions never need a reply.",
    )
    complaint_categories: tuple[str, ...] = Field(
        ("customer_complaint",),
        description="Risk categories read as a complaint when a mention has no intent.",
    )
    goal: float = Field(
        0.9,
        gt=0,
        le=1,
        description="Share of messages needing a reply that get one in time "
        "(the marketing plan's 90%), shown in the digest.",
    )

    @field_validator("deadlines")
    @classmethod
    def _positive(cls, value: dict[ReplyIntent, timedelta]) -> dict[ReplyIntent, timedelta]:
        for intent, limit in value.items():
            if limit.total_seconds() <= 0:
                raise ValueError(f"{intent}: must be longer than 0s")
        return value

    @field_validator("tiers")
    @classmethod
    def _tiers(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        bad = [t for t in value if t not in (1, 2, 3)]
        if bad:
            raise ValueError(f"tiers are 1, 2 or 3, got {bad[0]}")
        return value

    def counts_source(self, source_id: str, tier: int) -> bool:
        """True when mentions from ``source_id`` (of ``tier``) can need a reply."""
        if any(fnmatchcase(source_id, p) for p in self.skip_sources):
            return False
        return tier in self.tiers or any(fnmatchcase(source_id, p) for p in self.sources)
