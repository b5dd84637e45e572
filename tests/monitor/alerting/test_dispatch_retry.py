"""Dead letters and retries by hand, unusable channels, channel bugs, leases, the loop."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from datetime import timedelta
from typing import Any, ClassVar

import pytest
from sqlalchemy import update

from alerts.errors import DeliveryError
from alerts.grouping import GroupingPolicy
from alerts.message import AlertMessage, DeliveryResult, ThreadRef
from monitor.alerting.claim import claim_batch
from monitor.alerting.dispatch import (
    AlertStateError,
    ChannelMap,
    DispatchPolicy,
    DispatchStats,
    dispatch_once,
    retry_alert,
    retry_dead_alerts,
    run_dispatcher,
)
from monitor.db.models import Alert
from monitor.instance import instance_name, owner_is_gone

POLICY = DispatchPolicy(grouping=GroupingPolicy(max_individual=1000))


class Recorder:
    """A channel that keeps what it was given; ``fail`` holds errors to raise first."""

    kind: ClassVar[str] = "recorder"
    supports_threads = True
    max_text = 10_000

    def __init__(self, name: str = "rec", *fail: Exception) -> None:
        self.name = name
        self.fail = list(fail)
        self.sent: list[tuple[AlertMessage, ThreadRef | None]] = []
        self.during_send: Any = None

    def send(self, *, message: AlertMessage, thread: ThreadRef | None) -> DeliveryResult:
        if self.during_send is not None:
            self.during_send()
        if self.fail:
            raise self.fail.pop(0)
        self.sent.append((message, thread))
        return DeliveryResult(self.name, remote_id=f"m{len(self.sent)}", thread_id="root-1")

    def close(self) -> None:
        pass


def as_channels(*channels: Recorder) -> dict[str, Any]:
    """Recorders in place of real channels (they implement what the dispatcher calls)."""
    return {c.name: c for c in channels}


def run(outbox: Any, channels: Any, **kw: Any) -> DispatchStats:
    policy = kw.pop("policy", POLICY)
    return dispatch_once(sessions=outbox.sessions, channels=channels, policy=policy,
                         clock=outbox.clock, rng=random.Random(3), **kw)


def test_retry_by_hand_requeues_a_dead_alert(outbox: Any) -> None:
    (alert_id,) = outbox.enqueue(outbox.incident(), channels=("rec",))
    bad = DeliveryError("channel_not_found", kind="slack", target="#x", retryable=False)
    channel = Recorder("rec", bad)
    assert run(outbox, {"rec": channel}).dead == 1
    with outbox.sessions.begin() as session, pytest.raises(AlertStateError, match="only dead"):
        retry_alert(session, alert_id=alert_id, now=outbox.clock())
        retry_alert(session, alert_id=alert_id, now=outbox.clock())
    row = outbox.get(alert_id)
    assert (row.status, row.attempts) == ("pending", 0)
    assert "previously: slack: channel_not_found" in row.last_error
    assert run(outbox, {"rec": channel}).sent == 1
    with outbox.sessions.begin() as session, pytest.raises(AlertStateError, match="no such"):
        retry_alert(session, alert_id=9999, now=outbox.clock())


def test_retry_all_dead(outbox: Any) -> None:
    for _ in range(3):
        outbox.enqueue(outbox.incident(), channels=("nowhere",))
    assert run(outbox, {}).dead == 3
    with outbox.sessions.begin() as session:
        assert len(retry_dead_alerts(session, now=outbox.clock())) == 3
    assert outbox.statuses() == {"pending": 3}


def test_unusable_unknown_and_disabled_channels(outbox: Any) -> None:
    incident = outbox.incident()
    broken, unknown, off = (outbox.enqueue(incident, channels=(name,))[0]
                            for name in ("broken", "ghost", "off"))
    channels = ChannelMap(
        {}, unavailable={"broken": "environment variable SLACK_BOT_TOKEN is not set"},
        disabled=frozenset({"off"}),
    )
    stats = run(outbox, channels)
    assert (stats.dead, stats.suppressed, stats.claimed) == (2, 1, 0)
    assert outbox.get(broken).last_error == (
        "channel 'broken' is not usable: environment variable SLACK_BOT_TOKEN is not set"
    )
    assert outbox.get(unknown).last_error == "channel 'ghost' is not configured"
    assert (outbox.get(off).status, outbox.get(off).last_error) == (
        "suppressed", "channel 'off' is disabled"
    )


def test_a_channel_bug_dead_letters_the_alert_and_the_rest_goes_on(outbox: Any) -> None:
    first, second = outbox.incident(), outbox.incident()
    bad = outbox.enqueue(first, channels=("rec",))[0]
    outbox.enqueue(second, channels=("rec",))
    channel = Recorder("rec", RuntimeError("boom"))
    stats = run(outbox, {"rec": channel})
    assert (stats.dead, stats.sent) == (1, 1)
    assert "internal error in channel 'rec': RuntimeError: boom" in outbox.get(bad).last_error


def test_unreadable_payload_is_dead_lettered(outbox: Any) -> None:
    (alert_id,) = outbox.enqueue(outbox.incident(), "evidence", channels=("rec",))
    with outbox.sessions.begin() as session:
        session.execute(update(Alert).where(Alert.id == alert_id).values(payload={"bogus": 1}))
    assert run(outbox, {"rec": Recorder()}).dead == 1
    assert outbox.get(alert_id).last_error.startswith("unreadable payload (KeyError")


def test_thread_is_passed_to_later_events(outbox: Any) -> None:
    incident = outbox.incident()
    outbox.enqueue(incident, "opened", channels=("rec",))
    outbox.clock.advance(1)
    outbox.enqueue(incident, "evidence", channels=("rec",))
    channel = Recorder()
    run(outbox, {"rec": channel})
    assert [t for _, t in channel.sent] == [None, ThreadRef("root-1")]
    assert [r.remote_id for r in outbox.rows()] == ["m1", "m2"]


def test_claimed_rows_are_left_alone_until_the_lease_runs_out(outbox: Any) -> None:
    outbox.enqueue(outbox.incident(), channels=("rec",))
    channel = Recorder()
    nested: list[DispatchStats] = []
    channel.during_send = lambda: nested.append(run(outbox, {"rec": Recorder()}))
    assert run(outbox, {"rec": channel}).sent == 1
    assert nested[0].claimed == 0  # a second dispatcher during the send finds nothing

    # A dispatcher elsewhere that claims and dies: nothing is sent until its lease has run out.
    outbox.enqueue(outbox.incident(), channels=("rec",))
    with outbox.sessions.begin() as session:
        now = outbox.clock()
        claim = claim_batch(session, now=now, lease_until=now + POLICY.lease, limit=10,
                            grouping=POLICY.grouping, directory=ChannelMap(as_channels(channel)),
                            owner="other-host:4242:beef")
    assert len(claim.rows) == 1
    outbox.clock.advance(POLICY.lease.total_seconds() - 1)
    assert run(outbox, {"rec": channel}).claimed == 0
    outbox.clock.advance(2)
    assert run(outbox, {"rec": channel}).sent == 1


def test_rows_are_released_when_the_lease_is_nearly_over(outbox: Any) -> None:
    for _ in range(3):
        outbox.enqueue(outbox.incident(), channels=("rec",))
    channel = Recorder()
    channel.during_send = lambda: outbox.clock.advance(120)  # a very slow channel
    stats = run(outbox, {"rec": channel}, policy=DispatchPolicy(lease=timedelta(minutes=5)))
    assert (stats.sent, stats.released) == (2, 1)
    row = outbox.rows(status="pending")[0]
    assert row.claimed_until is None and row.attempts == 0


def test_run_dispatcher_delivers_until_stopped(outbox: Any) -> None:
    for _ in range(5):
        outbox.enqueue(outbox.incident(), channels=("rec",))
    channel = Recorder()
    stop = threading.Event()
    rounds: list[DispatchStats] = []

    def on_round(stats: DispatchStats) -> None:
        rounds.append(stats)
        if sum(r.sent for r in rounds) >= 5:
            stop.set()

    total = run_dispatcher(sessions=outbox.sessions, channels=as_channels(channel), policy=POLICY,
                           stop=stop, interval=0.01, clock=outbox.clock, limit=2,
                           on_round=on_round)
    assert total.sent == 5 and len(channel.sent) == 5
    assert outbox.statuses() == {"sent": 5}


def test_claims_of_an_ended_process_of_this_host_are_taken_at_once(outbox: Any) -> None:
    channel = Recorder()
    me = instance_name()
    host, pid, _ = me.rsplit(":", 2)
    live = instance_name()  # another dispatcher of this process, busy sending
    # This pid with a token this process never issued: the process a restart replaced.
    for owner in (f"{host}:{pid}:0dead0", live):
        (alert_id,) = outbox.enqueue(outbox.incident(), channels=("rec",))
        with outbox.sessions.begin() as session:
            session.execute(update(Alert).where(Alert.id == alert_id).values(
                claimed_by=owner, claimed_until=outbox.clock() + POLICY.lease))

    stats = run(outbox, {"rec": channel}, worker_id=me)

    # The ended process's row goes out now; the live one's waits for its lease.
    assert stats.sent == 1 and [r.status for r in outbox.rows()] == ["sent", "pending"]
    assert outbox.rows()[0].claimed_by is None


def test_owner_is_gone_only_for_ended_processes_of_this_host() -> None:
    me = instance_name()
    host, pid, _ = me.rsplit(":", 2)
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    assert owner_is_gone(f"{host}:{ended.stdout.strip()}:abcd", me=me)
    assert owner_is_gone(f"{host}:{pid}:not-issued", me=me)
    assert not owner_is_gone(me, me=me)
    assert not owner_is_gone(instance_name(), me=me)  # another dispatcher of this process
    assert not owner_is_gone(f"{host}:1:abcd", me=me)  # init runs
    assert not owner_is_gone(f"elsewhere:{ended.stdout.strip()}:abcd", me=me)
    assert not owner_is_gone("dispatcher", me=me)
    assert not owner_is_gone(f"{host}:x:abcd", me=me)
