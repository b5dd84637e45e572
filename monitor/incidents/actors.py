"""Who did it: the ``--by`` of incident commands and the Slack buttons, bound to a person.

With people configured, ``--by`` must name one (by id, or by their configured name); anything
else is a one-line error with a did-you-mean, and the person's id is what is stored. Without
people any name is accepted and recorded as unverified. A Slack press is named by the service
(monitor.service.slack): the person's id when their member id is configured, else
``slack:U123 (display name)``, recorded as an unverified Slack user.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.roster import Roster, UnknownPerson

SLACK_PREFIX = "slack:"
# a console or API account not linked to a configured person (monitor.web)
WEB_PREFIX = "web:"
UNVERIFIED_PREFIXES = (SLACK_PREFIX, WEB_PREFIX)


@dataclass(frozen=True)
class Actor:
    """Who acted: ``label`` is stored in the ``*_by`` columns and events, ``person`` is the
    configured person's id when it is verified."""

    label: str
    person: str | None = None

    @property
    def verified(self) -> bool:
        """True when the actor is a configured person."""
        return self.person is not None


def identify(name: str, roster: Roster) -> Actor:
    """The actor a (cleaned, non-empty) ``--by`` names; UnknownPerson when people are
    configured and it names none of them."""
    if name.startswith(UNVERIFIED_PREFIXES) or not roster.configured:
        return Actor(name)
    try:
        person = roster.named(name)
    except UnknownPerson as exc:
        raise UnknownPerson(f"--by: {exc}") from None
    return Actor(person.id, person.id)


def shown(label: str | None, person: str | None, roster: Roster) -> str:
    """How an actor is shown: ``Li Na (li.na)`` for a person, ``X (unverified)`` when people
    are configured and it is not one, else the label as recorded."""
    if label is None:
        return ""
    found = roster.person(person) if person is not None else None
    if found is not None:
        return f"{found.name} ({found.id})"
    if person is not None:
        return f"{person} (no longer in people)"
    if roster.configured or label.startswith(UNVERIFIED_PREFIXES):
        return f"{label} (unverified)"
    return label
