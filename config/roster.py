"""The roster: the configured people, teams and schedules tied together and to the rest of
the file.

``people_findings`` names every dangling reference (an unknown person, team, channel, entity
or category) at its key path; ``Roster`` holds the lookups every consumer shares: a person by
id or Slack user id, the holders of a role, a team's members.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from config.loader import Finding
from config.people import Person, Schedule, Team
from config.schema import Settings
from config.suggest import did_you_mean, one_of


class UnknownPerson(ValueError):
    """A name that is no configured person (the message is one line for the user)."""


@dataclass(frozen=True)
class Roster:
    """Lookups over the configured people, teams and schedules."""

    people: Mapping[str, Person]
    teams: Mapping[str, Team]
    schedules: Mapping[str, Schedule]

    @classmethod
    def of(cls, settings: Settings) -> Roster:
        """The roster of ``settings``."""
        return cls(
            people={p.id: p for p in settings.people},
            teams={t.id: t for t in settings.teams},
            schedules={s.id: s for s in settings.schedules},
        )

    @property
    def configured(self) -> bool:
        """True when people are configured (``--by`` must then name one)."""
        return bool(self.people)

    def person(self, person_id: str) -> Person | None:
        """The person with this id, or None."""
        return self.people.get(person_id)

    def by_slack(self, user_id: str) -> Person | None:
        """The person whose Slack member id this is, or None."""
        return next((p for p in self.people.values() if p.contacts.slack == user_id), None)

    def with_role(self, role: str) -> list[Person]:
        """People holding ``role``, in configuration order."""
        return [p for p in self.people.values() if role in p.roles]

    def named(self, name: str) -> Person:
        """The configured person ``name`` names, by id or by configured name (case-folded);
        UnknownPerson, one line with a did-you-mean, otherwise."""
        name = " ".join(name.split())
        person = self.people.get(name)
        if person is None:
            folded = name.casefold()
            person = next((p for p in self.people.values() if p.name.casefold() == folded), None)
        if person is None:
            hint = did_you_mean(name, self.people) or did_you_mean(
                name, [p.name for p in self.people.values()]
            )
            known = "" if hint else f" (known: {', '.join(sorted(self.people)[:10]) or 'none'})"
            raise UnknownPerson(f"unknown person {name!r}{hint or known}")
        return person

    def reviewer(self, by: str, *, role: str) -> Person | None:
        """The configured person ``by`` names, who must hold ``role``; None when no people are
        configured (the name is then recorded as given, unverified). ValueError with a
        one-line reason otherwise."""
        if not self.configured:
            return None
        person = self.named(by)
        if role not in person.roles:
            holders = ", ".join(p.id for p in self.with_role(role)) or "nobody"
            raise ValueError(
                f"{person.id} does not hold the role {role!r} (people who do: {holders})"
            )
        return person

    def members(self, team_id: str) -> list[Person]:
        """The people of a team, in configuration order."""
        team = self.teams.get(team_id)
        return [] if team is None else [self.people[m] for m in team.members if m in self.people]


def people_findings(settings: Settings) -> Iterator[Finding]:
    """Every dangling reference of the people, teams and schedules sections, at its key."""
    people = {p.id for p in settings.people}
    teams = {t.id for t in settings.teams}
    for label, ids in (
        ("people", [p.id for p in settings.people]),
        ("teams", [t.id for t in settings.teams]),
        ("schedules", [s.id for s in settings.schedules]),
    ):
        for index, dup in _duplicates(ids):
            yield Finding((label, index, "id"), f"duplicate {label} id {dup!r}")
    categories = [c.name for c in settings.scoring.to_library().categories]
    entities = [e.id for e in settings.entities]
    for t, team in enumerate(settings.teams):
        where: tuple[str | int, ...] = ("teams", t)
        yield from _unknown(where + ("members",), team.members, people, "person")
        if team.lead is not None:
            yield from _unknown(where + ("lead",), (team.lead,), people, "person", single=True)
        if team.channel is not None:
            yield from _unknown(
                where + ("channel",), (team.channel,), settings.channels, "channel", single=True
            )
        yield from _unknown(where + ("entities",), team.entities, entities, "entity")
        yield from _unknown(where + ("categories",), team.categories, categories, "category")
    for s, schedule in enumerate(settings.schedules):
        if schedule.team is not None:
            yield from _unknown(
                ("schedules", s, "team"), (schedule.team,), teams, "team", single=True
            )
        for n, layer in enumerate(schedule.layers):
            yield from _unknown(
                ("schedules", s, "layers", n, "members"), layer.members, people, "person"
            )
    if settings.people:
        # A warning: the service runs without script reviewers, it just cannot pass new texts.
        given = "review_steps" in settings.playbooks.model_fields_set
        for n, step in enumerate(settings.playbooks.review_steps):
            if not any(step in p.roles for p in settings.people):
                yield Finding(
                    ("playbooks", "review_steps", n) if given else ("people",),
                    f"no person holds the role {step!r} of the script review step {step!r}, so "
                    "no script can pass it (give it in people[].roles)",
                    warning=True,
                )


def _duplicates(ids: Sequence[str]) -> Iterator[tuple[int, str]]:
    seen: set[str] = set()
    for index, item in enumerate(ids):
        if item in seen:
            yield index, item
        seen.add(item)


def _unknown(
    where: tuple[str | int, ...],
    values: Sequence[str],
    known: Mapping[str, object] | Sequence[str] | set[str],
    what: str,
    *,
    single: bool = False,
) -> Iterator[Finding]:
    for index, value in enumerate(values):
        if value not in known:
            loc = where if single else where + (index,)
            yield Finding(loc, f"unknown {what} {value!r}{one_of(value, known)}")
