"""Which working hours apply to an incident, and what its playbook does outside them.

The working hours are those of the first team owning the incident's entity and category
(``teams[].entities`` / ``categories``, empty: all), its own or else the organisation's; with
no ``business_hours`` configured anywhere every moment counts as working time, so nothing is
ever held. A playbook whose ``off_hours.notify`` is ``hold`` keeps its escalation steps until
working hours open; ``page`` (the default) sends them at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from config.schema import Settings
from playbooks import Playbook
from playbooks.hours import WorkingHours


@dataclass(frozen=True)
class HoursBook:
    """The organisation's working hours and each owning team's."""

    organisation: WorkingHours | None = None
    # (team id, entities, categories, hours), in configuration order
    teams: tuple[tuple[str, frozenset[str], frozenset[str], WorkingHours | None], ...] = ()

    def owner(self, entity_id: str, category: str | None) -> str | None:
        """The id of the first team owning this entity and category, or None."""
        for team, entities, categories, _ in self.teams:
            if (not entities or entity_id in entities) and (
                not categories or (category is not None and category in categories)
            ):
                return team
        return None

    def for_incident(self, entity_id: str, category: str | None) -> WorkingHours | None:
        """The working hours that apply to an incident about ``entity_id`` in ``category``."""
        team = self.owner(entity_id, category)
        for team_id, _, _, hours in self.teams:
            if team_id == team:
                return hours
        return self.organisation


def hours_book(settings: Settings) -> HoursBook:
    """The working hours of ``settings`` (organisation and teams), built once."""
    from monitor.configured import working_hours

    return HoursBook(
        organisation=working_hours(settings),
        teams=tuple(
            (
                t.id,
                frozenset(t.entities),
                frozenset(t.categories),
                working_hours(settings, team=t.id),
            )
            for t in settings.teams
        ),
    )


def held_until(playbook: Playbook, hours: WorkingHours | None, now: datetime) -> datetime | None:
    """When working hours next open, if ``playbook`` holds its steps and ``now`` is outside
    them; None when its steps go out at once."""
    if hours is None or not playbook.off_hours.holds:
        return None
    try:
        opening = hours.next_open(now)
    except ValueError:  # no working time within a year: page rather than hold for ever
        return None
    return opening if opening > now else None
