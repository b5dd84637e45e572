"""The escalation engine, driven by an injected clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbooks import (
    EscalationError,
    EscalationState,
    Notify,
    Playbook,
    acknowledge,
    due_actions,
    regrade,
    start_escalation,
)
from playbooks.loader import parse_playbook_document
from playbooks.yamlsource import parse_yaml

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def playbook(name: str, grade: str, steps: str, repeat: int = 0) -> Playbook:
    text = f"""
name: {name}
applies_to: {{grades: [{grade}]}}
sla: {{time_to_ack: 15m, time_to_first_response: 2h}}
checklist: [Confirm the facts.]
steps: {steps}
repeat: {repeat}
"""
    ((book, _),) = parse_playbook_document(parse_yaml(text, name=f"{name}.yaml"))
    return book


HIGH = playbook(
    "high",
    "high",
    "[{notify: [console, risk-slack]}, {wait_ack: 15m}, "
    "{notify: [manager-email, exec-slack]}, {wait_ack: 30m}]",
    repeat=2,
)
MEDIUM = playbook(
    "medium", "medium", "[{notify: [risk-slack]}, {wait_ack: 1h}, {notify: [manager-email]}]"
)
CRITICAL = playbook(
    "critical",
    "critical",
    "[{notify: [risk-slack, exec-slack]}, {wait_ack: 5m}, {notify: [webhook]}, {wait_ack: 15m}]",
    repeat=1,
)


def run(
    state: EscalationState, book: Playbook, at: datetime
) -> tuple[list[Notify], EscalationState]:
    return due_actions(state=state, playbook=book, now=at)


def started(book: Playbook = HIGH, grade: str = "high") -> EscalationState:
    return start_escalation(incident_id="inc-1", playbook=book, grade=grade, now=T0)


def test_notify_at_start_nothing_before_the_wait_then_next_level() -> None:
    actions, state = run(started(), HIGH, T0)
    assert actions == [
        Notify(
            channels=("console", "risk-slack"),
            level=1,
            due_at=T0,
            reason="new high incident; notifying level 1",
            key=actions[0].key,
        )
    ]
    assert state.next_due_at == T0 + 15 * M and not state.done

    nothing, same = run(state, HIGH, T0 + 14 * M)
    assert nothing == [] and same == state

    actions, state = run(state, HIGH, T0 + 15 * M)
    assert [(a.channels, a.level, a.due_at, a.reason) for a in actions] == [
        (
            ("manager-email", "exec-slack"),
            2,
            T0 + 15 * M,
            "not acknowledged within 15m; escalating to level 2",
        )
    ]
    assert state.next_due_at == T0 + 45 * M


def test_acknowledgement_stops_everything() -> None:
    _, state = run(started(), HIGH, T0)
    state = acknowledge(state=state, now=T0 + 10 * M)
    assert state.done and state.next_due_at is None and state.acknowledged_at == T0 + 10 * M
    for minutes in (15, 60, 600):
        actions, state = run(state, HIGH, T0 + minutes * M)
        assert actions == []
    # A second acknowledgement keeps the first time.
    assert acknowledge(state=state, now=T0 + 20 * M).acknowledged_at == T0 + 10 * M


def test_state_with_acknowledged_at_set_directly_yields_nothing() -> None:
    _, state = run(started(), HIGH, T0)
    from dataclasses import replace

    acked = replace(state, acknowledged_at=T0 + 20 * M)  # e.g. written by the CLI
    actions, after = run(acked, HIGH, T0 + 3 * 60 * M)
    assert actions == [] and after.done and after.next_due_at is None


def test_catch_up_after_a_gap_returns_each_due_action_once_in_order() -> None:
    _, state = run(started(), HIGH, T0)
    actions, state = run(state, HIGH, T0 + 2 * 60 * M)
    assert [(a.level, a.due_at, a.reason) for a in actions] == [
        (2, T0 + 15 * M, "not acknowledged within 15m; escalating to level 2"),
        (2, T0 + 45 * M, "still not acknowledged after 45m; repeating level 2 (repeat 1 of 2)"),
        (2, T0 + 75 * M, "still not acknowledged after 1h15m; repeating level 2 (repeat 2 of 2)"),
    ]
    assert state.done and state.next_due_at is None  # the last wait ended at t0+105m
    again, _ = run(state, HIGH, T0 + 2 * 60 * M)
    assert again == []


def test_first_tick_late_includes_the_initial_notify() -> None:
    actions, state = run(started(), HIGH, T0 + 20 * M)
    assert [(a.level, a.due_at) for a in actions] == [(1, T0), (2, T0 + 15 * M)]
    assert state.next_due_at == T0 + 45 * M


def test_repeat_limit_is_respected() -> None:
    actions, state = run(started(), HIGH, T0 + 10 * 24 * 60 * M)
    assert [a.level for a in actions] == [1, 2, 2, 2]  # first pass plus repeat: 2
    no_repeat = playbook("p", "high", "[{notify: [a]}, {wait_ack: 15m}, {notify: [b]}]")
    actions, state = run(started(no_repeat), no_repeat, T0 + 10 * 24 * 60 * M)
    assert [a.channels for a in actions] == [("a",), ("b",)] and state.done


def test_not_yet_done_while_the_last_wait_runs() -> None:
    _, state = run(started(), HIGH, T0 + 80 * M)
    assert not state.done and state.next_due_at == T0 + 105 * M
    _, state = run(state, HIGH, T0 + 105 * M)
    assert state.done


def test_leading_wait_and_consecutive_notifies_share_a_level() -> None:
    book = playbook(
        "quiet",
        "low",
        "[{wait_ack: 1h}, {notify: [a]}, {notify: [b]}, {wait_ack: 2h}, {notify: [c]}]",
    )
    actions, _ = run(started(book, "low"), book, T0 + 5 * 60 * M)
    assert [(a.channels, a.level, a.due_at, a.reason) for a in actions] == [
        (("a",), 1, T0 + 60 * M, "not acknowledged within 1h; notifying level 1"),
        (("b",), 1, T0 + 60 * M, "not acknowledged within 1h; notifying level 1"),
        (("c",), 2, T0 + 180 * M, "not acknowledged within 3h; escalating to level 2"),
    ]


def test_grade_rise_moves_playbook_and_alerts_once() -> None:
    _, state = run(started(MEDIUM, "medium"), MEDIUM, T0)
    actions, state = regrade(state=state, new_playbook=HIGH, new_grade="high", now=T0 + 10 * M)
    assert [(a.channels, a.level, a.due_at, a.reason) for a in actions] == [
        (
            ("console", "risk-slack"),
            1,
            T0 + 10 * M,
            "grade rose from medium to high; notifying level 1 of playbook high",
        )
    ]
    assert (state.playbook, state.grade, state.started_at) == ("high", "high", T0 + 10 * M)
    # The same grade again, or a fall, alerts nobody and keeps the escalation as it is.
    for grade, book in (("high", HIGH), ("medium", MEDIUM), ("low", MEDIUM)):
        none, same = regrade(state=state, new_playbook=book, new_grade=grade, now=T0 + 11 * M)
        assert none == [] and same == state
    nothing, state = run(state, HIGH, T0 + 24 * M)
    assert nothing == []
    actions, state = run(state, HIGH, T0 + 25 * M)
    assert [(a.level, a.due_at) for a in actions] == [(2, T0 + 25 * M)]


def test_rise_after_acknowledgement_notifies_once_without_restarting_waits() -> None:
    _, state = run(started(), HIGH, T0)
    state = acknowledge(state=state, now=T0 + 5 * M)
    actions, state = regrade(
        state=state, new_playbook=CRITICAL, new_grade="critical", now=T0 + 30 * M
    )
    assert len(actions) == 1
    assert actions[0].channels == ("risk-slack", "exec-slack")
    assert "after acknowledgement" in actions[0].reason
    assert state.done and state.acknowledged_at == T0 + 5 * M and state.playbook == "critical"
    later, _ = run(state, CRITICAL, T0 + 5 * 60 * M)
    assert later == []


def test_rise_after_exhaustion_restarts_escalation() -> None:
    _, state = run(started(MEDIUM, "medium"), MEDIUM, T0 + 5 * 60 * M)
    assert state.done and state.acknowledged_at is None
    actions, state = regrade(state=state, new_playbook=HIGH, new_grade="high", now=T0 + 6 * 60 * M)
    assert len(actions) == 1 and not state.done
    more, _ = run(state, HIGH, T0 + 6 * 60 * M + 15 * M)
    assert [a.level for a in more] == [2]


def test_story_grows_medium_high_critical_then_acknowledged() -> None:
    """One incident, three grades: one alert per rise, the 15-minute escalation, then ack."""
    sent: list[Notify] = []
    state = started(MEDIUM, "medium")
    books = {"medium": MEDIUM, "high": HIGH, "critical": CRITICAL}
    rises = {T0 + 40 * M: "high", T0 + 100 * M: "critical"}
    clock = T0
    while clock <= T0 + 3 * 60 * M:
        if clock in rises:
            actions, state = regrade(
                state=state, new_playbook=books[rises[clock]], new_grade=rises[clock], now=clock
            )
            sent += actions
        if clock == T0 + 110 * M:
            state = acknowledge(state=state, now=clock)
        actions, state = due_actions(state=state, playbook=books[state.playbook], now=clock)
        sent += actions
        clock += M
    assert [(a.due_at - T0, a.level, a.reason.split(";")[0]) for a in sent] == [
        (0 * M, 1, "new medium incident"),
        (40 * M, 1, "grade rose from medium to high"),
        (55 * M, 2, "not acknowledged within 15m"),
        (85 * M, 2, "still not acknowledged after 45m"),
        (100 * M, 1, "grade rose from high to critical"),
        (105 * M, 2, "not acknowledged within 5m"),
    ]
    assert len({a.key for a in sent}) == len(sent)


def test_pure_and_stable_keys() -> None:
    state = started()
    first = run(state, HIGH, T0 + 3 * 60 * M)
    assert run(state, HIGH, T0 + 3 * 60 * M) == first
    assert len({a.key for a in first[0]}) == 4


@settings(max_examples=150, deadline=None, database=None)
@given(gaps=st.lists(st.integers(min_value=0, max_value=90), min_size=1, max_size=30))
def test_any_tick_schedule_gives_the_same_actions_as_one_catch_up(gaps: list[int]) -> None:
    state = started(CRITICAL, "critical")
    ticked: list[Notify] = []
    clock = T0
    for gap in gaps:
        clock += gap * M
        actions, state = run(state, CRITICAL, clock)
        ticked += actions
    once, final = run(started(CRITICAL, "critical"), CRITICAL, clock)
    assert ticked == once
    assert final == state
    assert all(a.due_at <= clock for a in ticked)
    assert [a.due_at for a in ticked] == sorted(a.due_at for a in ticked)


def test_state_round_trips_through_json() -> None:
    _, state = run(started(), HIGH, T0 + 20 * M)
    state = acknowledge(state=state, now=T0 + 21 * M)
    data = json.loads(json.dumps(state.to_dict()))
    assert EscalationState.from_dict(data) == state
    plus8 = timezone(timedelta(hours=8))
    other = start_escalation(
        incident_id="x", playbook=HIGH, grade="high", now=datetime(2026, 3, 2, 17, tzinfo=plus8)
    )
    back = EscalationState.from_dict(json.loads(json.dumps(other.to_dict())))
    assert back == other and back.started_at.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"started_at": "2026-03-02T09:00:00"}, "state.started_at: expected an ISO timestamp"),
        ({"step_index": "2"}, "state.step_index: expected int"),
        ({"done": 1}, "state.done: expected bool"),
        ({"v": 9}, "state.v: unsupported version 9"),
        ({"grade": "severe"}, "unknown grade 'severe'"),
    ],
)
def test_from_dict_names_the_bad_key(change: dict[str, object], message: str) -> None:
    data = {**started().to_dict(), **change}
    with pytest.raises(EscalationError, match=message.replace("[", r"\[")):
        EscalationState.from_dict(data)


def test_naive_times_and_wrong_playbook_are_refused() -> None:
    with pytest.raises(EscalationError, match="timezone-aware"):
        start_escalation(incident_id="x", playbook=HIGH, grade="high", now=datetime(2026, 1, 1))
    with pytest.raises(EscalationError, match="timezone-aware"):
        run(started(), HIGH, datetime(2026, 3, 2, 10))
    with pytest.raises(
        EscalationError, match="state is for playbook 'high', got playbook 'medium'"
    ):
        run(started(), MEDIUM, T0)
