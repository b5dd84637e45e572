"""Three `crisiswatch run` processes on one PostgreSQL, 50 changing feeds, the leader killed with
SIGKILL mid-run: another leads within 30 s, and mentions, incidents and deliveries equal those
of a single-process run over the same input (deliveries at least once: each at most twice)."""

from __future__ import annotations

import json
import signal
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from monitor.db.engine import make_engine
from monitor.db.migrate import upgrade
from monitor.service.testing import NOTIFY_PLAYBOOK

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

FEEDS = 50
RISKY = 4  # feeds 0..3: one watched product each, complaints present from the start
GENERATIONS = 8  # the other feeds gain an item per generation
PRODUCTS = ["Borlin", "Cadmo", "Dravik", "Elonne"]
RISK_TEXTS = [
    "{p} battery exploded and burned my hand, dangerous product, I want a refund",
    "My {p} charger caught fire last night, this is a safety hazard, avoid {p}",
    "Second report today: {p} overheating and smoking, unsafe, recall it now",
]


def _report_overrun(log: Path) -> None:
    """A stop the watchdog had to end is not what this test is about (failover is), but its
    thread stacks are the only clue to what blocked: show them in the test summary."""
    text = log.read_text(encoding="utf-8")
    if "shutdown still not finished" in text:
        warnings.warn(f"{log.name}: the shutdown watchdog ended the process:\n"
                      f"{text[text.index('shutdown still not finished'):][:6000]}", stacklevel=2)


def _feed(rss: Callable[..., bytes], n: int, generation: int) -> bytes:
    if n < RISKY:
        product = PRODUCTS[n]
        return rss([(f"f{n}-r{k}", text.format(p=product)) for k, text in enumerate(RISK_TEXTS)])
    return rss([(f"f{n}-g{g}", f"Acme opens its store number {n}-{g}, customers love it")
                for g in range(generation + 1)])


def _config(tmp_path: Path, base: str, name: str) -> Path:
    (tmp_path / "playbook.yaml").write_text(NOTIFY_PLAYBOOK, encoding="utf-8")
    entities = "".join(f"  - {{id: p{n}, name: {p}, kind: product, aliases: [{p}]}}\n"
                       for n, p in enumerate(PRODUCTS))
    sources = "".join(f"  - {{id: feed-{n:02d}, kind: rss, url: '{base}/feed/{n}', tier: 2, "
                      f"interval: 2s}}\n" for n in range(FEEDS))
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"""\
version: 1
organisation: {{name: Acme}}
entities:
  - {{id: acme, name: Acme, kind: brand, aliases: [Acme]}}
{entities}sources:
{sources}channels:
  risk: {{kind: file, path: {tmp_path / name}-alerts.jsonl}}
playbooks: {{paths: [playbook.yaml]}}
alerting: {{group_wait: 0s, max_individual: 1000}}
web: {{port: null}}  # three instances on one machine: one console port would be taken twice
service:
  jitter: 0s
  workers: 2
  work_lease: 4s
  leader_retry: 1s
  dispatch_interval: 1s
  escalation_interval: 1s
  shutdown_timeout: 5s
  digest_cron: null
  retention_days: null
""", encoding="utf-8")
    return path


@pytest.fixture()
def second_schema(pg_url: str) -> Iterator[str]:
    schema = f"cw_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield pg_url.rsplit("search_path%3D", 1)[0] + f"search_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _role(port: int) -> str | None:
    try:
        return str(httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()["role"])
    except (httpx.HTTPError, ValueError, KeyError):
        return None


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _state(url: str, alerts_file: Path) -> dict[str, Any]:
    engine = make_engine(url)
    with engine.connect() as conn:
        mentions = {tuple(r) for r in conn.execute(sa.text(
            "SELECT source_id, external_id FROM mentions"))}
        incidents = sorted(tuple(r) for r in conn.execute(sa.text(
            "SELECT entity_id, coalesce(category, ''), peak_grade, mention_count FROM incidents")))
        pending = conn.execute(sa.text(
            "SELECT count(*) FROM alerts WHERE status = 'pending'")).scalar_one()
        outbox = conn.execute(sa.text("SELECT count(*) FROM alerts")).scalar_one()
    engine.dispose()
    lines = alerts_file.read_text(encoding="utf-8").splitlines() if alerts_file.exists() else []
    payloads = [json.loads(line) for line in lines]
    delivered = Counter(p["id"] for p in payloads)
    # incident ids differ between databases: compare what was said about what
    said = {(p["event"], p["incident"]["entity"], p["incident"]["category"],
             p["incident"]["grade"], p["incident"]["escalation_level"]) for p in payloads}
    return {"mentions": mentions, "incidents": incidents, "pending": pending, "outbox": outbox,
            "delivered": delivered, "said": said}


def test_three_instances_survive_a_killed_leader_and_match_a_single_run(
    pg_url: str, second_schema: str, tmp_path: Path, feed_server: Any, rss_doc: Any,
    cli_process: Callable[..., Any], free_port: Callable[[], int],
) -> None:
    for url in (pg_url, second_schema):
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
    for n in range(FEEDS):
        feed_server.feeds[f"/feed/{n}"] = _feed(rss_doc, n, 0)
    config = _config(tmp_path, feed_server.url, "cluster")
    ports = [free_port() for _ in range(3)]
    procs = {
        port: cli_process(config, "--database", pg_url, "run", "--health-port", str(port),
                          log=tmp_path / f"run-{port}.log")
        for port in ports
    }

    leaders: list[int] = []

    def elected() -> bool:
        leaders[:] = [p for p in ports if _role(p) == "leader"]
        return bool(leaders)

    _wait(elected, 90, "a leader")
    leader = leaders[0]
    for generation in range(1, GENERATIONS):
        time.sleep(1.0)
        for n in range(RISKY, FEEDS):
            feed_server.feeds[f"/feed/{n}"] = _feed(rss_doc, n, generation)
        if generation == 3:
            procs[leader].send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            procs[leader].wait(timeout=30)
            survivors = [p for p in ports if p != leader]
            _wait(lambda: any(_role(p) == "leader" for p in ports if p != leader), 30,
                  "a new leader")
            assert time.monotonic() - killed_at < 30

    expected = {(f"feed-{n:02d}", f"f{n}-r{k}") for n in range(RISKY) for k in range(3)} | {
        (f"feed-{n:02d}", f"f{n}-g{g}") for n in range(RISKY, FEEDS) for g in range(GENERATIONS)}
    cluster_alerts = tmp_path / "cluster-alerts.jsonl"
    seen: list[dict[str, Any]] = []

    def settled() -> bool:
        state = _state(pg_url, cluster_alerts)
        seen[:] = [state]
        return bool(state["mentions"] == expected and state["pending"] == 0
                    and len(state["delivered"]) == state["outbox"])

    try:
        _wait(settled, 60, "the cluster to collect and deliver everything")
    except AssertionError:
        state = seen[0]
        raise AssertionError(
            f"not settled: missing {sorted(expected - state['mentions'])[:5]}, extra "
            f"{sorted(state['mentions'] - expected)[:5]}, pending {state['pending']}, outbox "
            f"{state['outbox']}, delivered {len(state['delivered'])}") from None
    for port in survivors:
        procs[port].send_signal(signal.SIGTERM)
    for port in survivors:
        assert procs[port].wait(timeout=30) == 0
        _report_overrun(tmp_path / f"run-{port}.log")
    cluster = _state(pg_url, cluster_alerts)

    single_config = _config(tmp_path, feed_server.url, "single")
    once = cli_process(single_config, "--database", second_schema, "run", "--once",
                       log=tmp_path / "once.log")
    assert once.wait(timeout=120) == 0, (tmp_path / "once.log").read_text()
    single = _state(second_schema, tmp_path / "single-alerts.jsonl")

    assert cluster["mentions"] == single["mentions"] == expected  # nothing lost or doubled
    assert single["incidents"] and single["said"], "the risky feeds opened no incident"
    assert cluster["incidents"] == single["incidents"]
    assert len(cluster["delivered"]) == len(single["delivered"])
    assert cluster["said"] == single["said"]
    assert max(cluster["delivered"].values(), default=1) <= 2  # at least once, one crash
    assert max(single["delivered"].values(), default=1) == 1
