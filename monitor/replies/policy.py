"""Which mentions need a reply, and by when (the ``replies`` section applied to a mention).

A mention needs one when its source expects replies (``ReplySettings.counts_source``) and its
intent has a deadline; without an intent (not scored, or no intent model for its language)
a complaint category reads as a complaint and a question mark as an enquiry. The deadline is
counted from the message's publication, in the working hours of the first team owning one of
its entities (a team listing it, else a team owning every entity), else the organisation's;
in wall-clock time when no working hours are configured or ``business_hours`` is off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from monitor.collectors.identity import tier_of

if TYPE_CHECKING:
    from classifiers.scorer import Score
    from config.loader import LoadedConfig
    from config.replies import ReplySettings
    from config.schema import Settings
    from playbooks.hours import WorkingHours

ORGANISATION = "*"  # ReplyDeadline.hours when the organisation's hours count
QUESTION_MARKS = ("?", "\uff1f")  # ASCII and full-width


@dataclass(frozen=True, slots=True)
class Need:
    """Why a mention needs a reply: as an enquiry or a complaint, read from what."""

    intent: str  # enquiry | complaint
    basis: str  # intent | category | question


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a reply is due and whose working hours counted (None: wall-clock time)."""

    due_at: datetime
    hours: str | None


@dataclass(frozen=True)
class ReplyPolicy:
    """The ``replies`` section with the sources' tiers and the teams' working hours."""

    settings: ReplySettings
    tiers: Mapping[str, int]
    owners: Mapping[str, str]  # entity id -> id of the team whose hours count
    calendars: Mapping[str, WorkingHours]  # team id or ORGANISATION -> hours
    _counts: dict[str, bool] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def enabled(self) -> bool:
        """True when some intent has a deadline."""
        return self.settings.enabled and bool(self.settings.deadlines)

    def counts_source(self, source_id: str) -> bool:
        """True when mentions from ``source_id`` can need a reply (cached per source)."""
        known = self._counts.get(source_id)
        if known is None:
            known = self.settings.counts_source(source_id, tier_of(self.tiers, source_id))
            self._counts[source_id] = known
        return known

    def need(
        self, *, source_id: str, text: str, score: Score | None, categories: Sequence[str] = ()
    ) -> Need | None:
        """Why this mention needs a reply, or None when it needs none."""
        if not self.enabled or not self.counts_source(source_id):
            return None
        deadlines = self.settings.deadlines
        if score is not None and len(set(score.intent.probs.values())) > 1:
            label = score.intent.label
            return Need(label, "intent") if label in deadlines else None
        cats = categories or ([c.category for c in score.categories] if score is not None else [])
        if "complaint" in deadlines and any(c in self.settings.complaint_categories for c in cats):
            return Need("complaint", "category")
        if "enquiry" in deadlines and any(q in text for q in QUESTION_MARKS):
            return Need("enquiry", "question")
        return None

    def deadline(self, *, intent: str, start: datetime, entities: Sequence[str]) -> Deadline:
        """When a reply to a message of ``intent`` published at ``start`` is due."""
        limit: timedelta = self.settings.deadlines[intent]  # type: ignore[index]
        key = self.hours_for(entities)
        calendar = self.calendars.get(key) if key is not None else None
        if calendar is None:
            return Deadline(start + limit, None)
        return Deadline(calendar.add(start, limit), key)

    def hours_for(self, entities: Sequence[str]) -> str | None:
        """Whose working hours count for a mention of ``entities`` (None: wall-clock time)."""
        if not self.settings.business_hours:
            return None
        for entity in entities:
            owner = self.owners.get(entity)
            if owner is not None and owner in self.calendars:
                return owner
        return ORGANISATION if ORGANISATION in self.calendars else None


def build_reply_policy(settings: Settings) -> ReplyPolicy:
    """The reply policy of ``settings``."""
    from monitor.configured import working_hours

    tiers = {s.id: s.tier for s in settings.sources}
    if settings.inbox is not None:
        tiers[settings.inbox.source_id] = settings.inbox.tier
    owners: dict[str, str] = {}
    for team in settings.teams:  # a team naming an entity first, in configuration order
        for entity in team.entities:
            owners.setdefault(entity, team.id)
    for team in settings.teams:  # then a team owning every entity
        if not team.entities:
            for watched in settings.entities:
                owners.setdefault(watched.id, team.id)
    calendars: dict[str, WorkingHours] = {}
    organisation = working_hours(settings)
    if organisation is not None:
        calendars[ORGANISATION] = organisation
    for team in settings.teams:  # a team without hours of its own keeps the organisation's
        if team.business_hours is not None and team.id in owners.values():
            hours = working_hours(settings, team=team.id)
            if hours is not None:
                calendars[team.id] = hours
    return ReplyPolicy(settings=settings.replies, tiers=tiers, owners=owners, calendars=calendars)


def configured_reply_policy(config: LoadedConfig) -> ReplyPolicy:
    """The reply policy of a loaded configuration; ConfigError names each unknown complaint
    category with file and line."""
    from config.loader import ConfigError
    from config.reply_checks import reply_findings

    errors = [config.describe(f) for f in reply_findings(config.settings)]
    if errors:
        raise ConfigError(config.path, errors)
    return build_reply_policy(config.settings)
