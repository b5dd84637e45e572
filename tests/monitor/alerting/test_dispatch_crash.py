"""Crash safety: a dispatcher SIGKILLed mid-send loses nothing, at most one duplicate per crash."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerts.grouping import GroupingPolicy
from alerts.testing import FakeResponse, FakeSlackServer
from monitor.alerting.dispatch import DispatchPolicy, dispatch_once

REPO = Path(__file__).resolve().parents[3]
WORKER = Path(__file__).with_name("dispatch_worker.py")
LEASE = 1.0

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")


def start_worker(
    db_url: str, server: FakeSlackServer, *, lease: float = LEASE, limit: int = 3
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), db_url, server.base_url, str(lease), str(limit)],
        env=env, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def kill_after(proc: subprocess.Popen[str], server: FakeSlackServer, requests: int) -> None:
    """SIGKILL the worker as soon as the server has received ``requests`` postMessage calls
    (the last one is still being answered slowly: the worker dies mid-send)."""
    deadline = time.monotonic() + 30
    while len(server.calls("chat.postMessage")) < requests:
        assert proc.poll() is None, "worker exited on its own"
        assert time.monotonic() < deadline, "worker made no progress"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def keys(server: FakeSlackServer) -> Counter[tuple[str, str]]:
    """Deliveries received, counted by delivery key (incident id, event)."""
    counts: Counter[tuple[str, str]] = Counter()
    for call in server.calls("chat.postMessage"):
        meta = call.json["metadata"]["event_payload"]
        counts[(meta["incident_id"], meta["event"])] += 1
    return counts


def test_sigkill_mid_send_loses_nothing(outbox: Any, db_url: str, slack_channel: Any) -> None:
    now = datetime.now(UTC)
    outbox.clock.now = now
    expected = set()
    for _ in range(4):
        incident = outbox.incident()
        for event in ("opened", "evidence"):
            outbox.enqueue(incident, event)
            expected.add((str(incident), event))
            outbox.clock.advance(0.001)
    with FakeSlackServer(token="xoxb-test-token") as server:
        server.program("chat.postMessage", *[FakeResponse.slow(0.25)] * 100)
        kill_after(start_worker(db_url, server), server, requests=2)
        time.sleep(LEASE + 0.2)  # the dead worker's claims run out
        kill_after(start_worker(db_url, server), server, requests=5)
        assert outbox.statuses().get("sent", 0) < len(expected)

        later = now + timedelta(minutes=10)  # past every lease
        policy = DispatchPolicy(grouping=GroupingPolicy(max_individual=1000))
        channels = {"slack": slack_channel(server)}
        for _ in range(5):
            dispatch_once(sessions=outbox.sessions, channels=channels, policy=policy,
                          clock=lambda: later, rng=random.Random(0))
        received = keys(server)

    assert outbox.statuses() == {"sent": len(expected)}
    assert set(received) == expected  # every alert delivered at least once
    duplicates = sum(n - 1 for n in received.values())
    assert duplicates <= 2  # two crashes, at most one duplicate each
    # Threads stayed in order: every incident's evidence went under a root posted before it.
    metas = [c.json["metadata"]["event_payload"] for c in server.calls("chat.postMessage")]
    order = [(m["incident_id"], m["event"]) for m in metas]
    for incident, _ in expected:
        assert order.index((incident, "opened")) < order.index((incident, "evidence"))


def test_a_restarted_dispatcher_takes_back_its_batch_at_once(
    outbox: Any, db_url: str
) -> None:
    outbox.clock.now = datetime.now(UTC) - timedelta(seconds=1)
    expected = set()
    for _ in range(30):
        incident = outbox.incident()
        outbox.enqueue(incident, "opened")
        expected.add((str(incident), "opened"))
    with FakeSlackServer(token="xoxb-test-token") as server:
        server.program("chat.postMessage", *[FakeResponse.slow(0.05)] * 200)
        # One batch of 30 under a 5-minute lease; the worker dies after 3 sends.
        kill_after(start_worker(db_url, server, lease=300, limit=30), server, requests=3)
        assert outbox.statuses().get("sent", 0) < 30
        restarted = start_worker(db_url, server, lease=300, limit=30)
        try:
            deadline = time.monotonic() + 30
            while outbox.statuses() != {"sent": 30}:
                assert time.monotonic() < deadline, outbox.statuses()
                time.sleep(0.05)
        finally:
            restarted.kill()
            restarted.wait(timeout=10)
        received = keys(server)
    assert set(received) == expected
    assert sum(n - 1 for n in received.values()) <= 1  # the one in flight at the kill
