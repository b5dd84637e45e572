"""The escalation engine: (state, playbook, now) -> notifications due, as a pure function.

Timeline of a playbook ``[notify A, wait_ack 15m, notify B, wait_ack 30m]`` with ``repeat: 2``,
started at t0 and never acknowledged: A at t0 (level 1), B at t0+15m (level 2), B again at
t0+45m and t0+75m (repeats 1 and 2), then done at t0+105m. Each action carries the time it was
due, so a catch-up after downtime returns every missed action once, in order.

Grade rises (``regrade``): the incident moves to the higher playbook and its first notify group
is sent once, at once. If nobody had acknowledged, that playbook's escalation then runs from
there. If someone had, the rise is announced once but waiting does not restart: the incident
already has an owner. Falls and equal grades change nothing (alerts only go out on a rise), so
``state.grade`` is the highest grade reached. Steps the old playbook had pending are superseded
by the rise alert; call ``due_actions`` before ``regrade`` to send them first.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from playbooks.durations import format_duration
from playbooks.errors import EscalationError
from playbooks.model import NotifyStep, Playbook, Target, grade_rank

STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Notify:
    """Send the incident to ``channels`` and to the people of ``targets`` (resolved by the
    caller); ``key`` is stable, for an idempotent outbox."""

    channels: tuple[str, ...]
    level: int
    due_at: datetime
    reason: str
    key: str = ""
    targets: tuple[Target, ...] = ()


Action: TypeAlias = Notify


@dataclass(frozen=True, slots=True)
class EscalationState:
    """Where an incident is in its playbook's escalation; stored as JSON via to_dict."""

    incident_id: str
    grade: str
    playbook: str
    started_at: datetime  # when this playbook's escalation started (reset on a grade rise)
    acknowledged_at: datetime | None
    step_index: int  # next step to run; len(steps) means the end of one pass
    cycle: int  # repeats already started (0 on the first pass)
    next_due_at: datetime | None  # when step_index is due; None when done
    done: bool  # acknowledged, or every step and repeat has run

    def __post_init__(self) -> None:
        for name in ("started_at", "acknowledged_at", "next_due_at"):
            value = getattr(self, name)
            if value is not None:
                _require_aware(value, name)
        _checked_rank(self.grade)
        if self.step_index < 0 or self.cycle < 0:
            raise EscalationError("step_index and cycle must not be negative")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (ISO 8601 timestamps with offsets)."""
        return {
            "v": STATE_VERSION,
            "incident_id": self.incident_id,
            "grade": self.grade,
            "playbook": self.playbook,
            "started_at": self.started_at.isoformat(),
            "acknowledged_at": _iso(self.acknowledged_at),
            "step_index": self.step_index,
            "cycle": self.cycle,
            "next_due_at": _iso(self.next_due_at),
            "done": self.done,
        }

    @classmethod
    def from_dict(cls, data: Any) -> EscalationState:
        """Rebuild a state from ``to_dict`` output; EscalationError names a bad key."""
        if not isinstance(data, dict):
            raise EscalationError(f"expected a dict, got {type(data).__name__}", key="state")
        version = data.get("v", STATE_VERSION)
        if version != STATE_VERSION:
            raise EscalationError(f"unsupported version {version!r}", key="state.v")
        started = _time(data, "started_at", optional=False)
        assert started is not None
        return cls(
            incident_id=_field(data, "incident_id", str),
            grade=_field(data, "grade", str),
            playbook=_field(data, "playbook", str),
            started_at=started,
            acknowledged_at=_time(data, "acknowledged_at", optional=True),
            step_index=_field(data, "step_index", int),
            cycle=_field(data, "cycle", int),
            next_due_at=_time(data, "next_due_at", optional=True),
            done=_field(data, "done", bool),
        )


def start_escalation(
    *, incident_id: str, playbook: Playbook, grade: str, now: datetime
) -> EscalationState:
    """A new escalation whose first step is due ``now`` (call due_actions to get it)."""
    _require_aware(now, "now")
    return EscalationState(
        incident_id=incident_id,
        grade=grade,
        playbook=playbook.name,
        started_at=now,
        acknowledged_at=None,
        step_index=0,
        cycle=0,
        next_due_at=now,
        done=False,
    )


def acknowledge(*, state: EscalationState, now: datetime) -> EscalationState:
    """Record the acknowledgement (the first one counts); no further escalation."""
    _require_aware(now, "now")
    return dataclasses.replace(
        state,
        acknowledged_at=state.acknowledged_at or now,
        next_due_at=None,
        done=True,
    )


def due_actions(
    *, state: EscalationState, playbook: Playbook, now: datetime
) -> tuple[list[Action], EscalationState]:
    """Every action due up to ``now``, in order with its original due time, and the new state."""
    _require_aware(now, "now")
    _require_playbook(state, playbook)
    if state.acknowledged_at is not None:
        return [], dataclasses.replace(state, next_due_at=None, done=True)
    if state.done:
        return [], state
    return _run(state, playbook, now)


def regrade(
    *, state: EscalationState, new_playbook: Playbook, new_grade: str, now: datetime
) -> tuple[list[Action], EscalationState]:
    """On a grade rise, move to ``new_playbook`` and alert once; otherwise change nothing."""
    _require_aware(now, "now")
    if _checked_rank(new_grade) <= grade_rank(state.grade):
        return [], state
    acked = state.acknowledged_at is not None
    group = new_playbook.first_notify_group()
    start, end = group if group is not None else (len(new_playbook.steps),) * 2
    moved = EscalationState(
        incident_id=state.incident_id,
        grade=new_grade,
        playbook=new_playbook.name,
        started_at=now,
        acknowledged_at=state.acknowledged_at,
        step_index=end,
        cycle=0,
        next_due_at=None if acked else now,
        done=acked,
    )
    levels = new_playbook.notify_levels()
    actions: list[Action] = []
    for index in range(start, end):
        step = new_playbook.steps[index]
        assert isinstance(step, NotifyStep)
        level = levels[index] or 1
        actions.append(
            Notify(
                channels=step.channels,
                targets=step.targets,
                level=level,
                due_at=now,
                reason=_rise_reason(state.grade, new_grade, new_playbook.name, level, acked),
                key=f"{_key_prefix(moved)}/rise-{state.grade}-{new_grade}/s{index}",
            )
        )
    if acked:
        return actions, moved
    more, after = _run(moved, new_playbook, now)
    return actions + more, after


def _run(
    state: EscalationState, playbook: Playbook, now: datetime
) -> tuple[list[Action], EscalationState]:
    steps = playbook.steps
    levels = playbook.notify_levels()
    restart = playbook.cycle_start()
    index = min(state.step_index, len(steps))
    cycle = state.cycle
    due = state.next_due_at
    actions: list[Action] = []
    while due is not None and due <= now:
        if index >= len(steps):
            if restart is not None and cycle < playbook.repeat:
                cycle += 1
                index = restart
                continue
            due = None
            break
        step = steps[index]
        if isinstance(step, NotifyStep):
            level = levels[index] or 1
            actions.append(
                Notify(
                    channels=step.channels,
                    targets=step.targets,
                    level=level,
                    due_at=due,
                    reason=_reason(state, playbook, level, cycle, due),
                    key=f"{_key_prefix(state)}/c{cycle}/s{index}",
                )
            )
        else:
            due = due + step.wait
        index += 1
    return actions, dataclasses.replace(
        state, step_index=index, cycle=cycle, next_due_at=due, done=due is None
    )


def _reason(
    state: EscalationState, playbook: Playbook, level: int, cycle: int, due: datetime
) -> str:
    elapsed = due - state.started_at
    if cycle > 0:
        return (
            f"still not acknowledged after {format_duration(elapsed)}; repeating level {level} "
            f"(repeat {cycle} of {playbook.repeat})"
        )
    if elapsed.total_seconds() <= 0:
        return f"new {state.grade} incident; notifying level {level}"
    verb = "notifying" if level == 1 else "escalating to"
    return f"not acknowledged within {format_duration(elapsed)}; {verb} level {level}"


def _rise_reason(old: str, new: str, playbook: str, level: int, acked: bool) -> str:
    if acked:
        return (
            f"grade rose from {old} to {new} after acknowledgement; notifying level {level} "
            "once (already acknowledged, no further escalation)"
        )
    return f"grade rose from {old} to {new}; notifying level {level} of playbook {playbook}"


def _key_prefix(state: EscalationState) -> str:
    return f"{state.incident_id}/{state.playbook}/{state.started_at.isoformat()}"


def _checked_rank(grade: str) -> int:
    """grade_rank, raising EscalationError instead of ValueError."""
    try:
        return grade_rank(grade)
    except ValueError as exc:
        raise EscalationError(str(exc), key="grade") from None


def _require_playbook(state: EscalationState, playbook: Playbook) -> None:
    if state.playbook != playbook.name:
        raise EscalationError(
            f"state is for playbook '{state.playbook}', got playbook '{playbook.name}'",
            key=f"incident {state.incident_id}",
        )


def _require_aware(moment: datetime, name: str) -> None:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise EscalationError(f"{name} must be a timezone-aware datetime, got {moment!r}")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _field(data: dict[str, Any], key: str, kind: type) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise EscalationError(f"expected {kind.__name__}, got {value!r}", key=f"state.{key}")
    return value


def _time(data: dict[str, Any], key: str, *, optional: bool) -> datetime | None:
    value = data.get(key)
    if value is None and optional:
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise EscalationError(
            f"expected an ISO timestamp with timezone, got {value!r}", key=f"state.{key}"
        )
    return parsed
