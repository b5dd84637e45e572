"""Escalating to people: a playbook step's targets (the on-call of a schedule, a person, a
team, a team's lead) resolved against the roster at alert time, and checked at start-up.

Which channels carry a person: the target's ``via`` channels, else the plain channels of the
same step, else the team's channel (a schedule's team, a team's own, a person's first team
with one), else every channel of the playbook. On each of them the person is mentioned by
their handle for that channel kind. Nobody on call (or a team without a lead) is never
silence: the alert goes to the team's channel, else the playbook's, saying who was missing.

The on-call lookup is injected (``OnCallLookup``: schedule id and time to the people on call);
without one, a schedule target is treated as having nobody on call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from alerts.message import Recipient
from config.people import Person
from config.roster import Roster
from config.suggest import one_of
from playbooks import Notify, NotifyStep, Playbook, Target

OnCallLookup = Callable[[str, datetime], Sequence[Person]]

log = logging.getLogger(__name__)


def recipient(person: Person) -> Recipient:
    """The alert-side view of a person: name and handle per channel kind."""
    c = person.contacts
    return Recipient(
        name=person.name,
        slack=c.slack,
        email=c.email,
        dingtalk=c.dingtalk,
        wecom=c.wecom,
        feishu=c.feishu,
    )


@dataclass
class Routing:
    """Where one notification goes: each channel with the people to mention there, and the
    warnings about people who could not be reached (shown in the alert)."""

    people: dict[str, list[Person]] = field(default_factory=dict)  # channel -> people
    paging: list[str] = field(default_factory=list)

    def add(self, channels: Iterable[str], people: Sequence[Person]) -> None:
        """Send to ``channels``, mentioning ``people`` there (each once)."""
        for channel in channels:
            listed = self.people.setdefault(channel, [])
            listed.extend(p for p in people if p.id not in {q.id for q in listed})

    def groups(self) -> list[tuple[list[str], tuple[Person, ...]]]:
        """Channels grouped by the people they mention, in first-use order."""
        out: dict[tuple[str, ...], tuple[list[str], tuple[Person, ...]]] = {}
        for channel, people in self.people.items():
            key = tuple(p.id for p in people)
            out.setdefault(key, ([], tuple(people)))[0].append(channel)
        return list(out.values())


def route(
    action: Notify,
    *,
    playbook: Playbook | None,
    roster: Roster,
    oncall: OnCallLookup | None,
    now: datetime,
) -> Routing:
    """The channels and people of one escalation action at ``now``."""
    routing = Routing()
    routing.add(action.channels, ())
    fallback = playbook.channels() if playbook is not None else action.channels
    for target in action.targets:
        people, team_channel, missing = _people(target, roster, oncall, now)
        if people:
            channels = target.via or action.channels or _one(team_channel) or fallback
            routing.add(channels, people)
            continue
        channels = target.via or _one(team_channel) or action.channels or fallback
        routing.paging.append(f"{missing}: sent to {', '.join(channels) or 'no channel'}")
        routing.add(channels, ())
    return routing


def _one(channel: str | None) -> tuple[str, ...]:
    return () if channel is None else (channel,)


def _people(
    target: Target, roster: Roster, oncall: OnCallLookup | None, now: datetime
) -> tuple[list[Person], str | None, str]:
    """(people, team channel, what to say when there is nobody) for one target."""
    unknown = _unknown(target, roster)
    if unknown is not None and not (target.kind == "lead" and target.id in roster.teams):
        return [], None, unknown  # checked at start-up; kept safe for a changed roster
    channel = _team_channel(target, roster)
    if target.kind == "oncall":
        try:
            people = list(oncall(target.id, now)) if oncall is not None else []
        except Exception as exc:  # noqa: BLE001 - a broken lookup must not stop alerting
            log.exception("on-call lookup for schedule %s failed", target.id)
            return [], channel, f"on-call lookup failed for {target.id} ({type(exc).__name__})"
        return people, channel, f"no one on call for {target.id}"
    if target.kind == "person":
        return [roster.people[target.id]], channel, ""
    team = roster.teams[target.id]
    if target.kind == "lead":
        lead = roster.person(team.lead) if team.lead else None
        return ([lead] if lead else []), channel, f"team {target.id} has no lead"
    return roster.members(target.id), channel, f"team {target.id} has no members"


@dataclass(frozen=True)
class TargetProblem:
    """An escalation target naming an unknown schedule, person or team, at its file and line."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}"


def target_problems(playbooks: Iterable[Playbook], roster: Roster) -> list[TargetProblem]:
    """Every target of every playbook that names something the roster does not have, or that
    no channel could carry (no ``via``, no channel in its step or playbook, no team channel)."""
    problems: list[TargetProblem] = []
    for playbook in playbooks:
        file = playbook.source or "<memory>"
        for step in playbook.steps:
            if not isinstance(step, NotifyStep):
                continue
            for target in step.targets:
                message = _unknown(target, roster)
                if message is None and not (
                    target.via or playbook.channels() or _team_channel(target, roster)
                ):
                    message = (
                        "no channel can carry this target: add via: [channel], a channel to "
                        "the step, or a channel to the team"
                    )
                if message is not None:
                    problems.append(TargetProblem(file, target.line, target.key, message))
    return problems


def _unknown(target: Target, roster: Roster) -> str | None:
    known, what = {
        "oncall": (roster.schedules, "schedule"),
        "person": (roster.people, "person"),
    }.get(target.kind, (roster.teams, "team"))
    if target.id not in known:
        hint = f" (no {what}s are configured)" if not known else one_of(target.id, known)
        return f"unknown {what} {target.id!r}{hint}"
    if target.kind == "lead" and not roster.teams[target.id].lead:
        return f"team {target.id!r} has no lead"
    return None


def _team_channel(target: Target, roster: Roster) -> str | None:
    if target.kind == "oncall":
        schedule = roster.schedules[target.id]
        team = roster.teams.get(schedule.team) if schedule.team else None
        return team.channel if team else None
    if target.kind == "person":
        teams = [t for t in roster.teams.values() if target.id in t.members and t.channel]
        return teams[0].channel if teams else None
    return roster.teams[target.id].channel
