"""``crisiswatch playbooks check``: everything that would make a playbook fail when needed."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from playbooks.durations import format_duration
from playbooks.model import PLAYBOOK_GRADES, NotifyStep, Playbook, WaitAckStep
from playbooks.scripts import ResponseScript, approval_status, placeholder_problem


def check_playbooks(
    *,
    playbooks: Iterable[Playbook],
    known_channels: Collection[str],
    scripts: Iterable[ResponseScript],
    now: datetime | None = None,
    known_placeholders: Collection[str] | None = None,
) -> list[str]:
    """Problems, one line each: unknown channels and scripts, uncovered grades, silent plans..."""
    books = list(playbooks)
    all_scripts = list(scripts)
    by_id = {script.id: script for script in all_scripts}
    problems: list[str] = []
    for playbook in books:
        problems.extend(_check_one(playbook, known_channels, by_id, now))
    problems.extend(_check_coverage(books))
    problems.extend(_check_scripts(all_scripts, known_placeholders))
    return problems


def _where(playbook: Playbook) -> str:
    return f"{playbook.source or '<memory>'}: playbook '{playbook.name}'"


def _check_one(
    playbook: Playbook,
    known_channels: Collection[str],
    scripts: dict[str, ResponseScript],
    now: datetime | None,
) -> list[str]:
    where = _where(playbook)
    problems: list[str] = []
    known = ", ".join(sorted(known_channels)) or "none configured"
    for index, step in enumerate(playbook.steps):
        if isinstance(step, NotifyStep):
            problems.extend(
                f"{where}: steps[{index}].notify: unknown channel '{channel}' (known: {known})"
                for channel in step.channels
                if channel not in known_channels
            )
            problems.extend(
                f"{where}: {target.key}: unknown channel '{channel}' in via (known: {known})"
                for target in step.targets
                for channel in target.via
                if channel not in known_channels
            )
    if not any(isinstance(step, NotifyStep) for step in playbook.steps):
        problems.append(f"{where}: steps: never notifies anyone")
    first_escalation = _first_escalation_wait(playbook)
    if first_escalation is not None and first_escalation > playbook.sla.time_to_ack:
        problems.append(
            f"{where}: steps: the first escalation comes after {format_duration(first_escalation)},"
            f" later than sla.time_to_ack {format_duration(playbook.sla.time_to_ack)}"
        )
    if playbook.sla.time_to_first_response < playbook.sla.time_to_ack:
        problems.append(
            f"{where}: sla: time_to_first_response "
            f"{format_duration(playbook.sla.time_to_first_response)} is shorter than "
            f"time_to_ack {format_duration(playbook.sla.time_to_ack)}"
        )
    for key, ids in (
        ("scripts", playbook.scripts),
        ("off_hours.auto_reply", playbook.off_hours.auto_reply),
    ):
        for script_id in ids:
            script = scripts.get(script_id)
            if script is None:
                problems.append(f"{where}: {key}: unknown script id '{script_id}'")
            elif now is not None:
                status = approval_status(script=script, now=now)
                if not status.approved:
                    problems.append(
                        f"{where}: {key}: '{script_id}' will not be offered: {status.reason}"
                    )
    problems.extend(
        f"{where}: off_hours.auto_reply_to: unknown channel '{channel}' (known: {known})"
        for channel in playbook.off_hours.auto_reply_to
        if channel not in known_channels
    )
    return problems


def _first_escalation_wait(playbook: Playbook) -> timedelta | None:
    """Total wait between the first notify and the next one, if there is a next one."""
    group = playbook.first_notify_group()
    if group is None:
        return None
    total: timedelta | None = None
    for step in playbook.steps[group[1] :]:
        if isinstance(step, NotifyStep):
            return total
        assert isinstance(step, WaitAckStep)
        total = step.wait if total is None else total + step.wait
    return None


def _check_coverage(playbooks: list[Playbook]) -> list[str]:
    problems: list[str] = []
    for grade in PLAYBOOK_GRADES:
        matching = [p for p in playbooks if grade in p.grades]
        general = [p for p in matching if not p.categories]
        specific = [p for p in matching if p.categories]
        if not matching:
            problems.append(f"grade {grade}: no playbook applies (such incidents get no alerts)")
        elif not general:
            cats = ", ".join(sorted({c for p in specific for c in p.categories}))
            problems.append(
                f"grade {grade}: only category-specific playbooks ({cats}); incidents in other "
                "categories get no playbook"
            )
        if len(general) > 1:
            problems.append(
                f"grade {grade}: playbooks {_names(general)} all apply to every category; "
                f"'{general[0].name}' (loaded first) wins"
            )
        seen: dict[str, Playbook] = {}
        for playbook in specific:
            for category in playbook.categories:
                if category in seen:
                    problems.append(
                        f"grade {grade}, category {category}: playbooks '{seen[category].name}' "
                        f"and '{playbook.name}' both apply; '{seen[category].name}' wins"
                    )
                else:
                    seen[category] = playbook
    return problems


def _check_scripts(
    scripts: list[ResponseScript], known_placeholders: Collection[str] | None
) -> list[str]:
    problems: list[str] = []
    for script in scripts:
        where = f"{script.source or '<memory>'}: script '{script.id}'"
        problem = placeholder_problem(script.text, known_placeholders)
        if problem is not None:
            problems.append(f"{where}: text: {problem}")
    return problems


def _names(playbooks: list[Playbook]) -> str:
    return ", ".join(f"'{p.name}'" for p in playbooks)
