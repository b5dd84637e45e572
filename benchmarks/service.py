"""The service end to end: alert latency, multi-instance ingest throughput, memory in a soak.

Prints JSON. Every figure comes from real ``crisiswatch run`` processes against local servers:

- latency: an item appears in a local RSS feed; time until its alert reaches a local
  FakeSlackServer (alerts/testing.py), at a given poll interval (p50, p95; SQLite);
- throughput: mentions stored per second by 1, 2 and 3 instances sharing one PostgreSQL
  (only with --pg; each run in a fresh schema);
- soak: RSS of one instance polling 200 changing feeds, after warm-up and at the end.

Usage: python benchmarks/service.py [--interval 5] [--trials 12] [--pg URL]
       [--soak-seconds 120] [--soak-feeds 200] [--only latency,throughput,soak]
Targets (issue 6): RSS growth under 10% after warm-up over a 20-minute soak (--soak-seconds 1200).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402

from alerts.testing import FakeSlackServer  # noqa: E402
from monitor.db.engine import make_engine  # noqa: E402
from monitor.db.schemas import private_schema  # noqa: E402
from monitor.service.testing import (  # noqa: E402
    CLI_COMMAND,
    NOTIFY_PLAYBOOK,
    FeedServer,
    free_port,
    rss,
)

TOKEN = "xoxb-bench-token"
PRODUCTS = [f"Zorvex{chr(65 + i)}{chr(65 + j)}" for i in range(26) for j in range(26)]
RISKY = ("{p} battery exploded and burned my hand, dangerous product, "
         "I want a refund and a recall of {p}")


def write_config(folder: Path, *, entities: list[str], feeds: int, base: str, interval: str,
                 slack: str | None, workers: int = 2) -> Path:
    (folder / "playbook.yaml").write_text(NOTIFY_PLAYBOOK, encoding="utf-8")
    ents = "".join(f"  - {{id: e{n}, name: {p}, kind: product, aliases: [{p}]}}\n"
                   for n, p in enumerate(entities))
    sources = "".join(f"  - {{id: feed-{n:03d}, kind: rss, url: '{base}/feed/{n}', tier: 2, "
                      f"interval: {interval}}}\n" for n in range(feeds))
    channel = (f"  risk: {{kind: slack, channel: '#risk', token_env: BENCH_SLACK_TOKEN, "
               f"base_url: '{slack}'}}\n" if slack else
               f"  risk: {{kind: file, path: {folder / 'alerts.jsonl'}}}\n")
    path = folder / "cw.yaml"
    path.write_text(f"""\
version: 1
organisation: {{name: Bench}}
storage: {{data_dir: {folder / 'data'}}}
entities:
  - {{id: acme, name: Acme, kind: brand, aliases: [Acme]}}
{ents}sources:
{sources}channels:
{channel}playbooks: {{paths: [playbook.yaml]}}
alerting: {{group_wait: 0s, max_individual: 100000}}
service:
  jitter: 0s
  workers: {workers}
  dispatch_interval: 1s
  escalation_interval: 5s
  leader_retry: 1s
  digest_cron: null
  retention_days: null
""", encoding="utf-8")
    return path


def start(config: Path, *args: str, log: Path,
          database: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "BENCH_SLACK_TOKEN": TOKEN}
    extra = ["--database", database] if database else []
    return subprocess.Popen(
        [*CLI_COMMAND, "--config", str(config), *extra, "run", *args],
        cwd=config.parent, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, text=True,
    )


def healthy(port: int) -> bool:
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def stop(procs: list[subprocess.Popen[str]]) -> list[int | None]:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    codes: list[int | None] = []
    for proc in procs:
        try:
            codes.append(proc.wait(timeout=60))
        except subprocess.TimeoutExpired:
            proc.kill()
            codes.append(None)
    return codes


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def bench_latency(interval: float, trials: int) -> dict[str, Any]:
    """Feed item -> Slack alert, one new incident per trial (a new product each time)."""
    feeds = FeedServer()
    with FakeSlackServer(token=TOKEN, channels={"#risk": "C0RISK"}) as slack, \
            tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        products = PRODUCTS[:trials]
        config = write_config(folder, entities=products, feeds=1, base=feeds.url,
                              interval=f"{interval}s", slack=slack.base_url)
        feeds.feeds["/feed/0"] = rss([])
        port = free_port()
        proc = start(config, "--health-port", str(port), log=folder / "run.log")
        try:
            if not wait(lambda: healthy(port), 120):
                raise RuntimeError((folder / "run.log").read_text())
            time.sleep(interval * 1.5)  # past the first polls, models loaded
            latencies: list[float] = []
            items: list[tuple[str, str]] = []
            for n, product in enumerate(products):
                time.sleep(random.uniform(0, interval))  # random phase against the poll timer
                items = [*items, (f"risk-{n}", RISKY.format(p=product))]
                appeared = time.time()
                feeds.feeds["/feed/0"] = rss(items)

                def arrived(product: str = product) -> bool:
                    return any(product in json.dumps(r.json, ensure_ascii=False)
                               for r in slack.calls("chat.postMessage"))

                if not wait(arrived, interval * 4 + 60):
                    raise RuntimeError(f"no alert for {product}; see {folder / 'run.log'}")
                got = next(r for r in slack.calls("chat.postMessage")
                           if product in json.dumps(r.json, ensure_ascii=False))
                latencies.append(got.received_at - appeared)
        finally:
            codes = stop([proc])
            feeds.close()
    return {
        "poll_interval_s": interval,
        "trials": len(latencies),
        "p50_s": round(statistics.median(latencies), 3),
        "p95_s": round(percentile(latencies, 0.95), 3),
        "max_s": round(max(latencies), 3),
        "exit_codes": codes,
    }


def schema_url(base: str) -> tuple[str, Callable[[], None]]:
    """A migrated private schema and the function that drops it."""
    stack = ExitStack()
    url = stack.enter_context(private_schema(base, prefix="cw_bench", migrate=True))
    return url, stack.close


def bench_throughput(pg: str, instances: int, feeds_n: int, per_feed: int) -> dict[str, Any]:
    """Mentions stored per second once every feed is filled at once."""
    url, drop = schema_url(pg)
    feeds = FeedServer()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = write_config(folder, entities=[], feeds=feeds_n, base=feeds.url, interval="1s",
                              slack=None)
        for n in range(feeds_n):
            feeds.feeds[f"/feed/{n}"] = rss([])
        ports = [free_port() for _ in range(instances)]
        procs = [start(config, "--health-port", str(p), log=folder / f"run-{p}.log",
                       database=url) for p in ports]
        engine = make_engine(url)
        try:
            if not wait(lambda: all(healthy(p) for p in ports), 180):
                raise RuntimeError("instances did not become healthy")
            time.sleep(3)
            total = feeds_n * per_feed
            words = ["new store", "great service", "price change", "delivery", "launch event"]
            started = time.monotonic()
            for n in range(feeds_n):
                items = [(f"f{n}-i{i}", f"Acme {words[i % 5]} {n}-{i} update")
                         for i in range(per_feed)]
                feeds.feeds[f"/feed/{n}"] = rss(items)

            def stored() -> int:
                with engine.connect() as conn:
                    return int(conn.execute(sa.text("SELECT count(*) FROM mentions")).scalar_one())

            done = wait(lambda: stored() >= total, 600)
            elapsed = time.monotonic() - started
            count = stored()
        finally:
            codes = stop(procs)
            engine.dispose()
            feeds.close()
            drop()
    return {"instances": instances, "mentions": count, "complete": done,
            "seconds": round(elapsed, 2), "mentions_per_s": round(count / elapsed, 1),
            "exit_codes": codes}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench_soak(seconds: float, feeds_n: int, interval: float) -> dict[str, Any]:
    """RSS of one instance polling ``feeds_n`` feeds that gain items all the time."""
    feeds = FeedServer()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = write_config(folder, entities=[], feeds=feeds_n, base=feeds.url,
                              interval=f"{interval}s", slack=None)
        counters = [0] * feeds_n

        def grow(n: int) -> None:
            counters[n] += 1
            latest = range(max(0, counters[n] - 20), counters[n])
            feeds.feeds[f"/feed/{n}"] = rss(
                [(f"f{n}-{i}", f"Acme item {n}-{i} about the new store") for i in latest])

        for n in range(feeds_n):
            grow(n)
        port = free_port()
        proc = start(config, "--health-port", str(port), log=folder / "run.log")
        stop_growing = threading.Event()

        def grower() -> None:
            while not stop_growing.wait(0.2):
                for n in random.sample(range(feeds_n), max(1, feeds_n // 25)):
                    grow(n)

        threading.Thread(target=grower, daemon=True).start()
        samples: list[tuple[float, float]] = []
        try:
            if not wait(lambda: healthy(port), 120):
                raise RuntimeError((folder / "run.log").read_text())
            begin = time.monotonic()
            warmup = max(30.0, seconds * 0.1, interval * 2)
            while time.monotonic() - begin < warmup + seconds:
                samples.append((round(time.monotonic() - begin, 1), round(rss_mb(proc.pid), 1)))
                time.sleep(max(1.0, (warmup + seconds) / 60))
            samples.append((round(time.monotonic() - begin, 1), round(rss_mb(proc.pid), 1)))
            engine = make_engine(f"sqlite:///{folder / 'data' / 'crisiswatch.sqlite'}")
            with engine.connect() as conn:
                mentions = conn.execute(sa.text("SELECT count(*) FROM mentions")).scalar_one()
            engine.dispose()
        finally:
            stop_growing.set()
            codes = stop([proc])
            feeds.close()
    after_warmup = next(mb for t, mb in samples if t >= warmup)
    end = samples[-1][1]
    return {"feeds": feeds_n, "poll_interval_s": interval, "warmup_s": warmup,
            "soak_s": seconds, "mentions_stored": mentions,
            "rss_start_mb": samples[0][1], "rss_after_warmup_mb": after_warmup,
            "rss_end_mb": end, "growth_after_warmup_pct": round(100 * (end / after_warmup - 1), 1),
            "samples": samples[:: max(1, len(samples) // 12)], "exit_codes": codes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--interval", type=float, default=5.0, help="poll interval (latency)")
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--pg", default=os.environ.get("CRISISWATCH_BENCH_PG_URL"))
    parser.add_argument("--feeds", type=int, default=60, help="feeds for throughput")
    parser.add_argument("--per-feed", type=int, default=100, help="items per feed (throughput)")
    parser.add_argument("--soak-seconds", type=float, default=120.0)
    parser.add_argument("--soak-feeds", type=int, default=200)
    parser.add_argument("--soak-interval", type=float, default=10.0)
    parser.add_argument("--only", default="latency,throughput,soak")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    out: dict[str, Any] = {"cpus": os.cpu_count()}
    if "latency" in parts:
        out["latency"] = bench_latency(args.interval, args.trials)
    if "throughput" in parts:
        if args.pg:
            out["throughput"] = [bench_throughput(args.pg, k, args.feeds, args.per_feed)
                                 for k in (1, 2, 3)]
        else:
            out["throughput"] = "skipped: give --pg postgresql+psycopg://... "
    if "soak" in parts:
        out["soak"] = bench_soak(args.soak_seconds, args.soak_feeds, args.soak_interval)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
