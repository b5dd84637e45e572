"""Slack outages cost time, never alerts: retries run for the retry budget (24 h by default).

A local Slack Web API stand-in answers 503 while it is "down"; an injected clock jumps from one
due retry to the next, so a day of retries runs in a moment. Permanent errors still
dead-letter at once.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest

from alerts.backoff import RetryPolicy
from alerts.grouping import GroupingPolicy
from alerts.testing import FakeResponse, FakeSlackServer
from alerts.testing_http import RecordedRequest
from monitor.alerting.dispatch import DispatchPolicy, dispatch_once, retry_alert

NO_GROUPING = GroupingPolicy(max_individual=1000)
DEFAULTS = DispatchPolicy(grouping=NO_GROUPING)  # the shipped retry policy


class FlakySlack(FakeSlackServer):
    """Answers 503 to every call while ``down``."""

    down = False

    def answer(self, request: RecordedRequest) -> FakeResponse:
        if self.down:
            return FakeResponse.server_error(503, "upstream unavailable")
        return super().answer(request)


def ride_out(
    outbox: Any,
    channels: dict[str, Any],
    policy: DispatchPolicy,
    server: FlakySlack,
    *,
    until: datetime,
) -> None:
    """Dispatch, jumping the clock to each next due retry, until nothing is pending."""
    for _ in range(10_000):
        server.down = outbox.clock() < until
        dispatch_once(
            sessions=outbox.sessions,
            channels=channels,
            policy=policy,
            clock=outbox.clock,
            rng=random.Random(5),
        )
        pending = outbox.rows(status="pending")
        if not pending:
            return
        outbox.clock.now = max(outbox.clock(), min(r.next_attempt_at for r in pending))
    raise AssertionError("the outbox never settled")


@pytest.mark.parametrize("minutes", [0.5, 2, 5, 60])
def test_an_outage_delays_alerts_but_dead_letters_none(
    outbox: Any, slack_channel: Any, minutes: float
) -> None:
    for _ in range(10):
        outbox.enqueue(outbox.incident())
    end = outbox.clock() + timedelta(minutes=minutes)
    with FlakySlack(token="xoxb-test-token") as server:
        ride_out(outbox, {"slack": slack_channel(server)}, DEFAULTS, server, until=end)
        assert len(server.messages) == 10
    rows = outbox.rows()
    assert {r.status for r in rows} == {"sent"}
    # Delivered within one capped delay (5 minutes) of the end, without hammering Slack.
    assert max(r.sent_at for r in rows) <= end + timedelta(minutes=5)
    assert max(r.attempts for r in rows) <= 8 + minutes * 60 / 150
    assert all(r.failing_since is None for r in rows)


def test_a_delivery_is_dead_lettered_when_it_has_failed_for_the_whole_budget(
    outbox: Any, slack_channel: Any
) -> None:
    (alert_id,) = outbox.enqueue(outbox.incident())
    start = outbox.clock()
    policy = DispatchPolicy(retry=RetryPolicy(budget=3600), grouping=NO_GROUPING)
    with FlakySlack(token="xoxb-test-token") as server:
        channels = {"slack": slack_channel(server)}
        ride_out(outbox, channels, policy, server, until=start + timedelta(days=2))
        row = outbox.get(alert_id)
        assert row.status == "dead" and row.failing_since == start
        assert outbox.clock() - start >= timedelta(hours=1)
        assert f"gave up after {row.attempts} attempts over 1h" in row.last_error

        # Re-queued by hand, it gets a whole new budget: one more failure does not kill it.
        with outbox.sessions.begin() as session:
            retry_alert(session, alert_id=alert_id, now=outbox.clock())
        dispatch_once(
            sessions=outbox.sessions,
            channels=channels,
            policy=policy,
            clock=outbox.clock,
            rng=random.Random(5),
        )
        row = outbox.get(alert_id)
        assert row.status == "pending" and row.failing_since == outbox.clock()


@pytest.mark.parametrize("error", ["channel_not_found", "invalid_auth", "not_in_channel"])
def test_permanent_errors_dead_letter_at_once(
    outbox: Any, slack: FakeSlackServer, slack_channel: Any, error: str
) -> None:
    (alert_id,) = outbox.enqueue(outbox.incident())
    slack.program("chat.postMessage", FakeResponse.error(error))
    stats = dispatch_once(
        sessions=outbox.sessions,
        channels={"slack": slack_channel(slack)},
        policy=DEFAULTS,
        clock=outbox.clock,
        rng=random.Random(5),
    )
    row = outbox.get(alert_id)
    assert stats.dead == 1 and row.status == "dead" and row.attempts == 1
    assert f"slack: {error} for #risk-alerts (not retryable)" in row.last_error
