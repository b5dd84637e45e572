"""Escalation steps that address people: ``{oncall: S}``, ``{person: P}``, ``{team: T}``,
``{lead: T}`` beside channel names, with their file and line, carried into each Notify."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from playbooks import (
    NotifyStep,
    Playbook,
    PlaybookError,
    Target,
    check_playbooks,
    due_actions,
    load_playbooks,
    start_escalation,
)

BOOK = """\
name: high
applies_to:
  grades: [high]
sla:
  time_to_ack: 10m
  time_to_first_response: 2h
checklist: [Confirm.]
steps:
  - notify: [risk-slack, {oncall: risk-primary}]
  - wait_ack: 10m
  - notify:
      - oncall: risk-secondary
        via: [risk-dingtalk]
  - wait_ack: 10m
  - notify: [{lead: risk}, {person: li.na}, {team: risk}]
  - wait_ack: 30m
repeat: 1
"""
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def load(tmp_path: Path, text: str) -> tuple[Playbook, ...]:
    path = tmp_path / "high.yaml"
    path.write_text(text, encoding="utf-8")
    return load_playbooks([path])


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(PlaybookError) as info:
        load(tmp_path, text)
    return str(info.value)


def test_targets_load_beside_channels_with_their_line(tmp_path: Path) -> None:
    (book,) = load(tmp_path, BOOK)
    first, _, second, _, third, _ = book.steps
    assert first == NotifyStep(
        channels=("risk-slack",),
        targets=(Target("oncall", "risk-primary", key="steps[0].notify[1].oncall", line=9),),
    )
    assert second.channels == ()
    assert second.targets[0].via == ("risk-dingtalk",)
    assert second.targets[0].line == 12
    assert [t.label() for t in third.targets] == ["lead:risk", "person:li.na", "team:risk"]
    assert book.channels() == ("risk-slack", "risk-dingtalk")
    assert [t.id for t in book.targets()] == [
        "risk-primary",
        "risk-secondary",
        "risk",
        "li.na",
        "risk",
    ]


def test_each_notify_carries_its_targets_through_escalation_and_repeats(tmp_path: Path) -> None:
    (book,) = load(tmp_path, BOOK)
    state = start_escalation(incident_id="1", playbook=book, grade="high", now=T0)
    actions, _ = due_actions(state=state, playbook=book, now=T0 + timedelta(minutes=60))
    assert [(a.level, [t.label() for t in a.targets]) for a in actions] == [
        (1, ["oncall:risk-primary"]),
        (2, ["oncall:risk-secondary"]),
        (3, ["lead:risk", "person:li.na", "team:risk"]),
        (3, ["lead:risk", "person:li.na", "team:risk"]),  # repeat 1 of 1
    ]


def test_plain_channel_playbooks_load_as_before(tmp_path: Path) -> None:
    text = BOOK.replace("[risk-slack, {oncall: risk-primary}]", "risk-slack")
    (book,) = load(tmp_path, text)
    assert book.steps[0] == NotifyStep(channels=("risk-slack",))


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (
            "[{oncal: risk-primary}]",
            "high.yaml: steps[0].notify[0].oncal: unknown key 'oncal' "
            "(expected one of: oncall, person, team, lead, via) (line 9)",
        ),
        (
            "[{oncall: a, person: b}]",
            "high.yaml: steps[0].notify[0]: expected exactly one of "
            "oncall, person, team, lead in a target, got oncall, person (line 9)",
        ),
        ("[{via: [x]}]", "got none (line 9)"),
        ("[{person: Li Na}]", "steps[0].notify[0].person: expected a person id, got 'Li Na'"),
        ("[{team: risk}, {team: risk}]", "steps[0].notify[1]: duplicate target team: risk"),
        ("[{oncall: s, via: []}]", "steps[0].notify[0].via: expected at least one channel name"),
        ("[{oncall: s, via: ['bad name']}]", "via[0]: expected a channel name"),
        ("[7]", "steps[0].notify[0]: expected a channel name or a target"),
    ],
)
def test_bad_targets_name_the_file_key_and_line(tmp_path: Path, step: str, expected: str) -> None:
    text = BOOK.replace("[risk-slack, {oncall: risk-primary}]", step)
    assert expected in error(tmp_path, text)


def test_check_names_unknown_via_channels(tmp_path: Path) -> None:
    books = load(tmp_path, BOOK)
    problems = check_playbooks(playbooks=books, known_channels={"risk-slack"}, scripts=())
    assert any(
        "steps[2].notify[0].oncall: unknown channel 'risk-dingtalk' in via" in p for p in problems
    )
