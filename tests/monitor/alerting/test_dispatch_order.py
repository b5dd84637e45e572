"""An incident's thread follows commit order: its opening alert is always the thread's root.

The time stamped on an alert is the start of the batch that queued it, so an alert committed
later can carry an earlier time (its batch waited for the one that opened the incident). The
dispatcher must order an incident's alerts by the sequence given under the incident's lock.
Runs on SQLite, and on PostgreSQL when CRISISWATCH_TEST_PG_URL is set.
"""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from typing import Any

import pytest

from alerts.grouping import GroupingPolicy
from alerts.testing import FakeSlackServer
from monitor.alerting.dispatch import DispatchPolicy, dispatch_once
from monitor.alerting.outbox import enqueue_alert

POLICY = DispatchPolicy(grouping=GroupingPolicy(group_wait=timedelta(0), max_individual=1000))


@pytest.fixture(params=["sqlite", "postgresql"])
def any_outbox(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue("outbox" if request.param == "sqlite" else "pg_outbox")


def posted(server: FakeSlackServer) -> list[tuple[str, str, str | None]]:
    out = []
    for call in server.calls("chat.postMessage"):
        meta = call.json["metadata"]["event_payload"]
        out.append((meta["incident_id"], meta["event"], call.json.get("thread_ts")))
    return out


def drain(outbox: Any, channels: dict[str, Any], **kwargs: Any) -> None:
    for _ in range(10):
        dispatch_once(
            sessions=outbox.sessions,
            channels=channels,
            policy=POLICY,
            clock=outbox.clock,
            rng=random.Random(1),
            **kwargs,
        )
        if not outbox.rows(status="pending"):
            return


def test_a_later_alert_stamped_earlier_still_goes_under_the_opening(
    any_outbox: Any, slack: FakeSlackServer, slack_channel: Any
) -> None:
    incident = any_outbox.incident()
    start = any_outbox.clock()
    # The evidence batch started before the incident was opened but committed after it.
    any_outbox.enqueue(incident, "opened", at=start + timedelta(seconds=5))
    any_outbox.enqueue(incident, "evidence", at=start)
    any_outbox.enqueue(incident, "grade_changed", at=start + timedelta(seconds=1))
    any_outbox.clock.advance(60)

    drain(any_outbox, {"slack": slack_channel(slack)})

    root = slack.messages[0]["ts"]
    assert posted(slack) == [
        (str(incident), "opened", None),
        (str(incident), "evidence", root),
        (str(incident), "grade_changed", root),
    ]
    assert [r.seq for r in any_outbox.rows()] == [1, 2, 3]


@pytest.mark.postgres
def test_sequence_follows_commit_order_between_concurrent_transactions(
    pg_outbox: Any, slack: FakeSlackServer, slack_channel: Any, message_factory: Any
) -> None:
    incident = pg_outbox.incident()
    pg_outbox.enqueue(incident, "opened")
    start = pg_outbox.clock()
    first = pg_outbox.sessions()
    first.begin()
    enqueue_alert(
        first,
        incident_id=incident,
        channels=["slack"],
        key="late-stamp",
        message=message_factory(incident, "grade_changed"),
        now=start + timedelta(seconds=2),
    )
    second_done = threading.Event()

    def second() -> None:
        with pg_outbox.sessions.begin() as session:
            enqueue_alert(
                session,
                incident_id=incident,
                channels=["slack"],
                key="early-stamp",
                message=message_factory(incident, "evidence"),
                now=start,
            )
        second_done.set()

    worker = threading.Thread(target=second)
    worker.start()
    # The second transaction waits for the incident's sequence until the first one commits.
    assert not second_done.wait(0.5)
    first.commit()
    first.close()
    worker.join(timeout=10)
    assert second_done.is_set()
    pg_outbox.clock.advance(60)

    drain(pg_outbox, {"slack": slack_channel(slack)})

    assert [event for _, event, _ in posted(slack)] == ["opened", "grade_changed", "evidence"]
