"""Burst grouping: more than max_individual new incidents on a channel become one digest."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from alerts.grouping import GroupingPolicy
from alerts.testing import FakeResponse, FakeSlackServer
from monitor.alerting.dispatch import DispatchPolicy, DispatchStats, dispatch_once
from monitor.alerting.outbox import payload_to_message


def run(outbox: Any, channels: dict[str, Any], policy: DispatchPolicy, **kw: Any) -> DispatchStats:
    return dispatch_once(sessions=outbox.sessions, channels=channels, policy=policy,
                         clock=outbox.clock, rng=random.Random(1), **kw)


def grouping(wait: float = 0, interval: float = 300, individual: int = 5) -> DispatchPolicy:
    return DispatchPolicy(grouping=GroupingPolicy(
        group_wait=timedelta(seconds=wait), group_interval=timedelta(seconds=interval),
        max_individual=individual,
    ))


def test_burst_becomes_individual_alerts_plus_one_digest(
    outbox: Any, slack: FakeSlackServer, slack_channel: Any
) -> None:
    incidents = [outbox.incident() for _ in range(12)]
    for incident in incidents:
        outbox.enqueue(incident, "opened")
    stats = run(outbox, {"slack": slack_channel(slack)}, grouping(), limit=4)
    assert (stats.sent, stats.folded, stats.digests) == (6, 7, 1)
    calls = slack.calls("chat.postMessage")
    assert len(calls) == 6
    digest = calls[-1].json
    assert digest["metadata"]["event_payload"]["event"] == "digest"
    assert "7 new incidents" in digest["blocks"][0]["text"]["text"]
    members = outbox.rows(status="folded")
    assert [r.incident_id for r in members] == incidents[5:]
    (digest_row,) = outbox.rows(event="digest")
    assert digest_row.status == "sent" and digest_row.incident_id is None
    assert {r.remote_id for r in members} == {digest_row.dedup_key}
    listed = payload_to_message(digest_row.payload).members
    assert sorted(m.incident_id for m in listed) == sorted(str(i) for i in incidents[5:])


def test_overflow_waits_for_group_wait_then_goes_as_one_digest(
    outbox: Any, slack: FakeSlackServer, slack_channel: Any
) -> None:
    channels = {"slack": slack_channel(slack)}
    policy = grouping(wait=30)
    for _ in range(8):
        outbox.enqueue(outbox.incident(), "opened")
    first = run(outbox, channels, policy)
    assert (first.sent, first.held) == (5, 3)
    held = outbox.rows(status="pending")
    assert all(r.next_attempt_at == outbox.clock() + timedelta(seconds=30) for r in held)
    outbox.clock.advance(10)
    for _ in range(2):  # more of the same burst arrives while the first ones wait
        outbox.enqueue(outbox.incident(), "opened")
    assert run(outbox, channels, policy).sent == 0
    outbox.clock.advance(21)
    last = run(outbox, channels, policy)
    assert (last.sent, last.folded, last.digests) == (1, 5, 1)
    assert len(slack.calls("chat.postMessage")) == 6
    assert outbox.statuses() == {"sent": 6, "folded": 5}


def test_later_event_of_a_folded_incident_starts_its_own_root(
    outbox: Any, slack: FakeSlackServer, slack_channel: Any
) -> None:
    channels = {"slack": slack_channel(slack)}
    incidents = [outbox.incident() for _ in range(3)]
    for incident in incidents:
        outbox.enqueue(incident, "opened")
    run(outbox, channels, grouping(individual=1))
    outbox.clock.advance(60)
    outbox.enqueue(incidents[2], "escalated", escalation_level=1)
    assert run(outbox, channels, grouping(individual=1)).sent == 1
    last = slack.calls("chat.postMessage")[-1].json
    assert last["metadata"]["event_payload"]["event"] == "escalated"
    assert "thread_ts" not in last


def test_failed_digest_is_retried_like_any_alert(
    outbox: Any, slack: FakeSlackServer, slack_channel: Any
) -> None:
    channels = {"slack": slack_channel(slack)}
    for _ in range(4):
        outbox.enqueue(outbox.incident(), "opened")
    slack.program("chat.postMessage", FakeResponse.slow(0), FakeResponse.server_error(502))
    stats = run(outbox, channels, grouping(individual=1))
    assert (stats.sent, stats.retried, stats.digests) == (1, 1, 1)
    (digest,) = outbox.rows(event="digest")
    assert digest.status == "pending" and digest.attempts == 1
    outbox.clock.advance(400)
    assert run(outbox, channels, grouping(individual=1)).sent == 1
    assert outbox.get(digest.id).status == "sent"
    assert outbox.statuses() == {"sent": 2, "folded": 3}


def test_drills_and_real_incidents_are_never_folded_together(
    outbox: Any, slack: FakeSlackServer, slack_channel: Any
) -> None:
    for drill in (False, False, False, True, True, True):
        outbox.enqueue(outbox.incident(drill=drill), "opened", drill=drill)
    run(outbox, {"slack": slack_channel(slack)}, grouping(individual=1))
    digests = outbox.rows(event="digest")
    assert sorted(d.drill for d in digests) == [False, True]
    headers = [c.json["blocks"][0]["text"]["text"] for c in slack.calls("chat.postMessage")]
    assert sum(h.startswith("[DRILL]") for h in headers) == 2  # one individual, one digest


def test_other_events_are_never_grouped(
    outbox: Any, slack: FakeSlackServer, slack_channel: Any
) -> None:
    incidents = [outbox.incident() for _ in range(10)]
    for incident in incidents:
        outbox.enqueue(incident, "evidence")
    stats = run(outbox, {"slack": slack_channel(slack)}, grouping(individual=1))
    assert (stats.sent, stats.folded) == (10, 0)
