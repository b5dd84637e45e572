"""Alert delivery latency: from the committed incident change to receipt by a local Slack server.

Each alert is written the way the incidents engine writes it: the incident row and its outbox
row in one transaction. Latency is the time from that commit to the moment the local
Slack-compatible server (alerts.testing.FakeSlackServer) receives the chat.postMessage that
carries it; for an incident folded into a burst digest, receipt of the digest.

- steady: ``--steady`` alerts at ``--rate`` per second, the dispatcher loop polling every
  ``--interval`` seconds (burst grouping effectively off, so each alert is its own message).
- burst: ``--burst`` "opened" incidents committed at once (``--burst-batch`` per transaction),
  grouping at max_individual 5 and ``--group-wait``: they must arrive as a few messages, not
  1,000. Incidents committed after the digest went out wait for the next group interval
  (5 minutes), as Alertmanager's group_interval does; ``all_settled`` then says false.

    python benchmarks/alerts.py [--database URL] [--steady 200 --rate 20] [--burst 1000]

Prints JSON. Default database: a fresh SQLite file (WAL) in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from alerts.grouping import GroupingPolicy  # noqa: E402
from alerts.message import AlertMessage  # noqa: E402
from alerts.registry import build_channel  # noqa: E402
from alerts.testing import FakeSlackServer  # noqa: E402
from monitor.alerting.dispatch import DispatchPolicy, run_dispatcher  # noqa: E402
from monitor.alerting.outbox import enqueue_alert  # noqa: E402
from monitor.db.engine import make_engine, session_factory  # noqa: E402
from monitor.db.migrate import upgrade  # noqa: E402
from monitor.db.models import Alert, Incident  # noqa: E402

TOKEN = "xoxb-bench"


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50 / p95 / max in milliseconds."""
    if not values:
        return {"p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {
        "p50": round(statistics.median(ordered) * 1000, 1),
        "p95": round(p95 * 1000, 1),
        "max": round(ordered[-1] * 1000, 1),
    }


def write_incidents(
    sessions: sessionmaker[Session], count: int, channel: str
) -> tuple[list[str], float]:
    """Open ``count`` incidents with their "opened" alerts in one transaction.

    Returns the incident ids and the time the transaction committed."""
    now = datetime.now(UTC)
    with sessions.begin() as session:
        incidents = [
            Incident(
                entity_id="acme", category="product_safety", state="open", grade="high",
                peak_grade="high", likelihood=4, impact=4, first_seen_at=now, last_seen_at=now,
                opened_at=now, updated_at=now,
            )
            for _ in range(count)
        ]
        session.add_all(incidents)
        session.flush()
        ids = [str(incident.id) for incident in incidents]
        for incident in incidents:
            message = AlertMessage(
                incident_id=str(incident.id), event="opened", title=f"{channel} incident",
                grade="high", entity="Acme Phone X", category="product_safety", likelihood=4,
                impact=4, status="open", created_at=now,
                reasons=("likelihood 4: 87% negative", "impact 4: tier-1 news"),
            )
            enqueue_alert(session, incident_id=incident.id, message=message,
                          channels=(channel,), key=f"bench:{incident.id}:opened", now=now)
    return ids, time.time()


def received_at(server: FakeSlackServer) -> dict[str, float]:
    """First receipt time per incident id (or digest id) carried in message metadata."""
    seen: dict[str, float] = {}
    for call in server.calls("chat.postMessage"):
        meta = (call.json or {}).get("metadata", {}).get("event_payload", {})
        key = str(meta.get("incident_id"))
        seen.setdefault(key, call.received_at)
    return seen


def settled(sessions: sessionmaker[Session]) -> bool:
    with sessions() as session:
        return session.scalar(select(Alert.id).where(Alert.status == "pending").limit(1)) is None


class Dispatcher:
    """run_dispatcher in a thread."""

    def __init__(self, sessions: sessionmaker[Session], server: FakeSlackServer,
                 policy: DispatchPolicy, interval: float, name: str) -> None:
        channel = build_channel(
            name=name, kind="slack",
            options={"channel": "#risk-alerts", "base_url": server.base_url},
            environ={"SLACK_BOT_TOKEN": TOKEN},
        )
        self.stop = threading.Event()
        self.thread = threading.Thread(target=run_dispatcher, kwargs=dict(
            sessions=sessions, channels={name: channel}, policy=policy, stop=self.stop,
            interval=interval, rng=random.Random(0), worker_id="bench",
        ), daemon=True)

    def __enter__(self) -> Dispatcher:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def wait_settled(sessions: sessionmaker[Session], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if settled(sessions):
            return True
        time.sleep(0.05)
    return False


def steady(sessions: sessionmaker[Session], *, count: int, rate: float,
           interval: float) -> dict[str, Any]:
    policy = DispatchPolicy(grouping=GroupingPolicy(max_individual=10**9))
    commits: dict[str, float] = {}
    with FakeSlackServer(token=TOKEN) as server, Dispatcher(sessions, server, policy, interval,
                                                            "steady"):
        start = time.monotonic()
        for index in range(count):
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            ids, committed = write_incidents(sessions, 1, "steady")
            commits.update(dict.fromkeys(ids, committed))
        done = wait_settled(sessions, 60)
        arrivals = received_at(server)
    latencies = [arrivals[i] - t for i, t in commits.items() if i in arrivals]
    stats = percentiles(latencies)
    return {
        "alerts": count, "rate_per_s": rate, "poll_interval_s": interval,
        "received": len(latencies), "all_settled": done, "latency_ms": stats,
        "target_p95_ms": 1000, "meets_target": stats["p95"] is not None and stats["p95"] < 1000,
    }


def burst(sessions: sessionmaker[Session], *, count: int, batch: int, interval: float,
          group_wait: float) -> dict[str, Any]:
    grouping = GroupingPolicy(group_wait=timedelta(seconds=group_wait),
                              group_interval=timedelta(minutes=5), max_individual=5)
    policy = DispatchPolicy(grouping=grouping)
    with FakeSlackServer(token=TOKEN) as server, Dispatcher(sessions, server, policy, interval,
                                                            "burst"):
        commits: dict[str, float] = {}
        remaining = count
        started = time.monotonic()
        while remaining:
            size = min(batch, remaining)
            ids, committed = write_incidents(sessions, size, "burst")
            commits.update(dict.fromkeys(ids, committed))
            remaining -= size
        writing = time.monotonic() - started
        done = wait_settled(sessions, group_wait + 30)
        arrivals = received_at(server)
        messages = len(server.calls("chat.postMessage"))
    with sessions() as session:
        rows = list(session.scalars(select(Alert).where(Alert.channel == "burst")))
    digest_of = {r.dedup_key: str(r.payload.get("incident_id")) for r in rows
                 if r.event == "digest"}
    latencies, individual = [], []
    for row in rows:
        incident_id = str(row.incident_id)
        if row.event != "opened" or incident_id not in commits:
            continue
        key = incident_id if row.status == "sent" else digest_of.get(row.remote_id or "", "")
        if key in arrivals:
            latency = arrivals[key] - commits[incident_id]
            latencies.append(latency)
            if row.status == "sent":
                individual.append(latency)
    folded = sum(1 for r in rows if r.status == "folded")
    return {
        "incidents": count, "committed_in_batches_of": batch,
        "seconds_to_commit": round(writing, 3), "messages_received": messages,
        "digests": len(digest_of),
        "individual": len(individual), "folded": folded, "all_settled": done,
        "group_wait_s": group_wait, "max_individual": 5,
        "latency_ms_all": percentiles(latencies),
        "latency_ms_individual": percentiles(individual),
        "note": "folded incidents arrive with their digest, after group_wait by design",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: temporary SQLite file)")
    parser.add_argument("--steady", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--burst-batch", type=int, default=1000,
                        help="incidents per transaction in the burst (default: all at once)")
    parser.add_argument("--interval", type=float, default=0.05, help="dispatcher poll, s")
    parser.add_argument("--group-wait", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        engine = make_engine(url)
        upgrade(engine)
        sessions = session_factory(engine)
        result = {
            "database": engine.dialect.name,
            "steady": steady(sessions, count=args.steady, rate=args.rate, interval=args.interval),
            "burst": burst(sessions, count=args.burst, batch=args.burst_batch,
                           interval=args.interval,
                           group_wait=args.group_wait),
        }
        engine.dispose()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
