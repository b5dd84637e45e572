"""The dispatcher against the local Slack-compatible server: outages, rate limits, bad
channels, threads, hostile text and drills."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

from alerts.backoff import RetryPolicy
from alerts.grouping import GroupingPolicy
from alerts.testing import FakeResponse, FakeSlackServer
from monitor.alerting.dispatch import DispatchPolicy, DispatchStats, dispatch_once
from monitor.db.models import AlertThread

NO_GROUPING = GroupingPolicy(max_individual=1000)
POLICY = DispatchPolicy(retry=RetryPolicy(base=1.0, cap=4.0, max_attempts=8), grouping=NO_GROUPING)


def run(outbox: Any, channels: dict[str, Any], policy: DispatchPolicy = POLICY,
        **kwargs: Any) -> DispatchStats:
    return dispatch_once(sessions=outbox.sessions, channels=channels, policy=policy,
                         clock=outbox.clock, rng=random.Random(7), **kwargs)


def posted(server: FakeSlackServer) -> list[tuple[str, str, str | None]]:
    """(incident id, event, thread_ts) of every chat.postMessage the server accepted."""
    out = []
    for call in server.calls("chat.postMessage"):
        meta = call.json["metadata"]["event_payload"]
        out.append((meta["incident_id"], meta["event"], call.json.get("thread_ts")))
    return out


def test_backlog_is_delivered_in_order_after_an_outage(
    outbox: Any, slack: FakeSlackServer, slack_channel: Any
) -> None:
    incidents = [outbox.incident() for _ in range(3)]
    expected = []
    for event in ("opened", "evidence", "escalated"):
        for incident in incidents:
            outbox.enqueue(incident, event)
            expected.append((str(incident), event))
            outbox.clock.advance(1)
    channels = {"slack": slack_channel(slack)}
    slack.program("chat.postMessage", *[FakeResponse.server_error(500)] * 6)

    first = run(outbox, channels)
    # Only each incident's first alert was tried; the later ones wait behind it.
    assert first.retried == 3 and first.released == 6 and first.sent == 0
    assert all(r.status == "pending" for r in outbox.rows())
    assert [r.attempts for r in outbox.rows()] == [1, 1, 1, 0, 0, 0, 0, 0, 0]
    assert outbox.rows()[0].last_error.startswith("slack: HTTP 500")

    for _ in range(20):
        outbox.clock.advance(10)
        run(outbox, channels)
        if outbox.statuses() == {"sent": 9}:
            break
    assert outbox.statuses() == {"sent": 9}
    delivered = [(i, e) for i, e, _ in posted(slack)[6:]]
    assert sorted(delivered) == sorted(expected) and len(delivered) == 9
    for incident in incidents:
        mine = [e for i, e in delivered if i == str(incident)]
        assert mine == ["opened", "evidence", "escalated"]


def test_rate_limit_retry_after_is_honoured(
    outbox: Any, slack: FakeSlackServer, slack_channel: Any
) -> None:
    (alert_id,) = outbox.enqueue(outbox.incident())
    slack.program("chat.postMessage", FakeResponse.ratelimited(retry_after=30))
    channels = {"slack": slack_channel(slack)}
    start = outbox.clock()

    assert run(outbox, channels).retried == 1
    row = outbox.get(alert_id)
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at >= start + timedelta(seconds=30)
    assert "ratelimited" in row.last_error and "retry after 30s" in row.last_error

    outbox.clock.advance(29)
    assert run(outbox, channels).claimed == 0
    outbox.clock.advance(2)
    assert run(outbox, channels).sent == 1
    assert len(slack.calls("chat.postMessage")) == 2


def test_unknown_channel_is_dead_lettered_at_once(
    outbox: Any, slack_channel: Any
) -> None:
    with FakeSlackServer(token="xoxb-test-token", channels={"#risk-alerts": "C001"}) as server:
        (alert_id,) = outbox.enqueue(outbox.incident())
        stats = run(outbox, {"slack": slack_channel(server, channel="#no-such-channel")})
    assert stats.dead == 1
    row = outbox.get(alert_id)
    assert row.status == "dead" and row.attempts == 1
    assert "channel_not_found for #no-such-channel" in row.last_error
    assert "not retryable" in row.last_error


def test_gives_up_after_max_attempts(
    outbox: Any, slack: FakeSlackServer, slack_channel: Any
) -> None:
    (alert_id,) = outbox.enqueue(outbox.incident())
    slack.program("chat.postMessage", *[FakeResponse.server_error(503)] * 3)
    policy = DispatchPolicy(retry=RetryPolicy(base=1, cap=1, max_attempts=3), grouping=NO_GROUPING)
    channels = {"slack": slack_channel(slack)}
    for _ in range(3):
        run(outbox, channels, policy)
        outbox.clock.advance(5)
    row = outbox.get(alert_id)
    assert row.status == "dead" and row.attempts == 3
    assert "gave up after 3 attempts" in row.last_error


def test_thread_root_then_replies_and_root_updates(
    outbox: Any, slack: FakeSlackServer, slack_channel: Any
) -> None:
    incident = outbox.incident()
    outbox.enqueue(incident, "opened")
    channels = {"slack": slack_channel(slack)}
    run(outbox, channels)
    root = slack.messages[0]
    with outbox.sessions() as session:
        thread = session.get(AlertThread, (incident, "slack"))
        assert thread is not None
        assert (thread.thread_id, thread.conversation) == (root["ts"], root["channel"])

    outbox.clock.advance(60)
    outbox.enqueue(incident, "acknowledged", status="acknowledged", note="on it")
    outbox.clock.advance(60)
    outbox.enqueue(incident, "resolved", status="resolved")
    stats = run(outbox, channels)
    assert stats.sent == 2
    assert posted(slack) == [
        (str(incident), "opened", None),
        (str(incident), "acknowledged", root["ts"]),
        (str(incident), "resolved", root["ts"]),
    ]
    updates = slack.calls("chat.update")
    assert [u.json["ts"] for u in updates] == [root["ts"]] * 2
    assert updates[-1].json["channel"] == root["channel"]
    # The root now shows the current status: resolved incidents have no buttons left.
    assert not any(b["type"] == "actions" for b in slack.messages[0]["blocks"])
    sent = outbox.rows(status="sent")
    assert [r.remote_id for r in sent] == [m["ts"] for m in slack.messages]


def test_hostile_text_arrives_escaped_end_to_end(
    outbox: Any, slack: FakeSlackServer, slack_channel: Any
) -> None:
    hostile = "<!channel> <@U123> <https://evil.example|click> &lt; *bold* \u202eevil\u202c"
    outbox.enqueue(outbox.incident(), title=hostile, entity=hostile, note=hostile + "y" * 10_240)
    run(outbox, {"slack": slack_channel(slack)})
    (call,) = slack.calls("chat.postMessage")
    received = json.dumps(call.json, ensure_ascii=False)
    for bad in ("<!channel>", "<@U123>", "<https://evil", "\u202e"):
        assert bad not in received
    assert "&lt;!channel&gt;" in received and "&amp;lt;" in received
    assert "(truncated)" in received
    assert max(len(b.get("text", {}).get("text", "")) for b in call.json["blocks"]) <= 3000


def test_drill_marking_is_preserved(
    outbox: Any, slack: FakeSlackServer, slack_channel: Any
) -> None:
    incident = outbox.incident(drill=True)
    outbox.enqueue(incident, drill=True)
    run(outbox, {"slack": slack_channel(slack)})
    (call,) = slack.calls("chat.postMessage")
    assert call.json["blocks"][0]["text"]["text"].startswith("[DRILL]")
    assert call.json["metadata"]["event_payload"]["drill"] is True
    assert outbox.rows()[0].drill is True


def test_a_failing_alert_holds_back_only_its_own_incident(
    outbox: Any, slack: FakeSlackServer, slack_channel: Any
) -> None:
    first, second = outbox.incident(), outbox.incident()
    outbox.enqueue(first, "opened")
    outbox.clock.advance(1)
    outbox.enqueue(second, "opened")
    outbox.clock.advance(1)
    outbox.enqueue(first, "evidence")
    outbox.clock.advance(1)
    outbox.enqueue(second, "evidence")
    slack.program("chat.postMessage", FakeResponse.server_error(500))
    stats = run(outbox, {"slack": slack_channel(slack)})
    assert stats.retried == 1 and stats.sent == 2
    assert [(i, e) for i, e, _ in posted(slack)[1:]] == [
        (str(second), "opened"), (str(second), "evidence")
    ]
    assert outbox.rows(status="pending")[1].event == "evidence"
