"""PostgreSQL: concurrent dispatchers take disjoint rows (FOR UPDATE SKIP LOCKED).

Runs when CRISISWATCH_TEST_PG_URL is set (see tests/conftest.py), skips with the reason otherwise.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alerts.grouping import GroupingPolicy
from alerts.testing import FakeResponse, FakeSlackServer
from monitor.alerting.dispatch import DispatchPolicy, DispatchStats, dispatch_once
from monitor.db.models import AlertThread

pytestmark = pytest.mark.postgres
POLICY = DispatchPolicy(grouping=GroupingPolicy(max_individual=10_000))


def deliveries(server: FakeSlackServer) -> list[tuple[str, str]]:
    out = []
    for call in server.calls("chat.postMessage"):
        meta = call.json["metadata"]["event_payload"]
        out.append((meta["incident_id"], meta["event"]))
    return out


def test_two_dispatchers_never_send_the_same_row_twice(
    pg_outbox: Any, slack: FakeSlackServer, slack_channel: Any
) -> None:
    pg_outbox.clock.now = datetime.now(UTC)
    expected = []
    incidents = [pg_outbox.incident() for _ in range(20)]
    for event in ("opened", "evidence", "escalated"):
        for incident in incidents:
            pg_outbox.enqueue(incident, event)
            expected.append((str(incident), event))
            pg_outbox.clock.advance(0.001)
    slack.program("chat.postMessage", *[FakeResponse.slow(0.002)] * 60)
    channels = {"slack": slack_channel(slack)}
    totals: list[DispatchStats] = []

    def worker(name: str) -> None:
        total = DispatchStats(worker_id=name)
        for _ in range(200):
            stats = dispatch_once(sessions=pg_outbox.sessions, channels=channels, policy=POLICY,
                                  rng=random.Random(name), worker_id=name, limit=4)
            total = total + stats
            if not pg_outbox.rows(status="pending"):
                break
        totals.append(total)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    received = Counter(deliveries(slack))
    assert sorted(received) == sorted(expected)
    assert set(received.values()) == {1}
    assert pg_outbox.statuses() == {"sent": 60}
    assert all(t.sent > 0 for t in totals), totals  # both dispatchers did part of the work
    order = deliveries(slack)
    for incident in incidents:
        mine = [e for i, e in order if i == str(incident)]
        assert mine == ["opened", "evidence", "escalated"]


def test_burst_grouping_and_threads_on_postgresql(
    pg_outbox: Any, slack: FakeSlackServer, slack_channel: Any
) -> None:
    incidents = [pg_outbox.incident() for _ in range(8)]
    for incident in incidents:
        pg_outbox.enqueue(incident, "opened")
    pg_outbox.clock.advance(1)
    pg_outbox.enqueue(incidents[0], "evidence")
    channels = {"slack": slack_channel(slack)}
    policy = DispatchPolicy(grouping=GroupingPolicy(group_wait=timedelta(0), max_individual=3))
    stats = dispatch_once(sessions=pg_outbox.sessions, channels=channels, policy=policy,
                          clock=pg_outbox.clock, rng=random.Random(0))
    assert (stats.sent, stats.folded, stats.digests) == (5, 5, 1)
    assert deliveries(slack)[:4] == [(str(i), "opened") for i in incidents[:3]] + [
        (str(incidents[0]), "evidence")
    ]
    with pg_outbox.sessions() as session:
        thread = session.get(AlertThread, (incidents[0], "slack"))
        assert thread is not None and thread.thread_id == slack.messages[0]["ts"]
    assert slack.calls("chat.postMessage")[3].json["thread_ts"] == slack.messages[0]["ts"]
