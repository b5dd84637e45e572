"""Typed playbook definitions: who is told in what order, the SLA, the checklist, the scripts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

# Grades an incident can carry; "none" never gets a playbook.
ALL_GRADES: tuple[str, ...] = ("none", "low", "medium", "high", "critical")
PLAYBOOK_GRADES: tuple[str, ...] = ("low", "medium", "high", "critical")
_RANK = {grade: rank for rank, grade in enumerate(ALL_GRADES)}


def grade_rank(grade: str) -> int:
    """Order of a grade (none=0 .. critical=4); ValueError for an unknown grade."""
    try:
        return _RANK[grade]
    except KeyError:
        raise ValueError(
            f"unknown grade {grade!r} (expected one of: {', '.join(ALL_GRADES)})"
        ) from None


@dataclass(frozen=True, slots=True)
class Sla:
    """Response targets, measured from when the incident opened (or last rose in grade)."""

    time_to_ack: timedelta
    time_to_first_response: timedelta


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One ordered thing the responders must do; ``owner`` is a role, not a person."""

    id: str
    text: str
    owner: str | None = None


# What a notify step can address besides a channel: the on-call of a schedule, one person, the
# members of a team, or a team's lead (the names are checked against the roster by the service).
TARGET_KINDS: tuple[str, ...] = ("oncall", "person", "team", "lead")


@dataclass(frozen=True, slots=True)
class Target:
    """People to notify: ``kind`` (one of TARGET_KINDS) and the schedule, person or team id.

    ``via`` names the channels that carry the mention (empty: the step's channels, else the
    team's channel, else the playbook's); ``key`` and ``line`` place it in its file.
    """

    kind: str
    id: str
    via: tuple[str, ...] = ()
    key: str = ""
    line: int | None = None

    def label(self) -> str:
        """``oncall:risk-primary``, as written in the playbook's short form."""
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True, slots=True)
class NotifyStep:
    """Send the incident to these channels now, mentioning the people of ``targets``."""

    channels: tuple[str, ...]
    targets: tuple[Target, ...] = ()


@dataclass(frozen=True, slots=True)
class WaitAckStep:
    """Wait this long for an acknowledgement before going on to the next step."""

    wait: timedelta


Step = NotifyStep | WaitAckStep

# What a playbook does outside working hours: page at once (as inside them), or hold its
# escalation steps until working hours next open.
OFF_HOURS_NOTIFY: tuple[str, ...] = ("page", "hold")


@dataclass(frozen=True, slots=True)
class OffHours:
    """Outside working hours: ``notify`` is ``page`` (send at once) or ``hold`` (send when
    working hours open); ``auto_reply`` names approved scripts (one per language) to post to the
    public meanwhile, sent at once to ``auto_reply_to`` channels when the steps are held."""

    notify: str = "page"
    auto_reply: tuple[str, ...] = ()
    auto_reply_to: tuple[str, ...] = ()

    @property
    def holds(self) -> bool:
        """True when escalation steps wait for working hours."""
        return self.notify == "hold"


@dataclass(frozen=True, slots=True)
class Playbook:
    """One graded response plan, as loaded from YAML."""

    name: str
    grades: tuple[str, ...]
    categories: tuple[str, ...]  # empty: applies to every category of its grades
    sla: Sla
    checklist: tuple[ChecklistItem, ...]
    steps: tuple[Step, ...]
    repeat: int  # how many times the last notify/wait cycle repeats before stopping
    scripts: tuple[str, ...]  # ids of the response scripts it offers, in display order
    description: str = ""
    source: str = ""  # file it was loaded from, for messages
    off_hours: OffHours = OffHours()

    def notify_levels(self) -> tuple[int | None, ...]:
        """Escalation level of each step (None for waits): a notify after a wait is a new level."""
        levels: list[int | None] = []
        level = 0
        previous: Step | None = None
        for step in self.steps:
            if isinstance(step, NotifyStep):
                if not isinstance(previous, NotifyStep):
                    level += 1
                levels.append(level)
            else:
                levels.append(None)
            previous = step
        return tuple(levels)

    def cycle_start(self) -> int | None:
        """Index where a repeat restarts: the first step of the last group of notifies."""
        last = None
        for index in range(len(self.steps) - 1, -1, -1):
            if isinstance(self.steps[index], NotifyStep):
                last = index
            elif last is not None:
                break
        return last

    def first_notify_group(self) -> tuple[int, int] | None:
        """``(start, end)`` step indexes of the first group of consecutive notifies."""
        start = next((i for i, step in enumerate(self.steps) if isinstance(step, NotifyStep)), None)
        if start is None:
            return None
        end = start
        while end < len(self.steps) and isinstance(self.steps[end], NotifyStep):
            end += 1
        return start, end

    def channels(self) -> tuple[str, ...]:
        """Every channel the steps notify, in first-use order."""
        seen: dict[str, None] = {}
        for step in self.steps:
            if isinstance(step, NotifyStep):
                seen.update(dict.fromkeys(step.channels))
                for target in step.targets:
                    seen.update(dict.fromkeys(target.via))
        return tuple(seen)

    def targets(self) -> tuple[Target, ...]:
        """Every people target of the steps, in step order."""
        return tuple(t for s in self.steps if isinstance(s, NotifyStep) for t in s.targets)
