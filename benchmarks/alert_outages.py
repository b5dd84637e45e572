"""Alerts dead-lettered by a channel outage: the retry policy before and after the time budget.

Simulates ``--alerts`` deliveries per outage length in ``--outages`` (seconds), each failing
with a retryable error until the outage ends: ``at_start`` all first tried as the outage
begins (the worst case: an incident opened just as Slack went down), ``during`` each first
tried at a uniformly random moment of it. "before" is the policy shipped until the time
budget: full jitter (each delay uniform in [0, min(cap, base * 2 ** (attempt - 1))]) and dead
after 8 attempts. "after" is ``alerts.backoff.RetryPolicy()``: delays floored at half their
step, retried until failing for the budget (24 h). Both with base 2 s and cap 5 min. Pure
arithmetic: no server, no clock.

    python benchmarks/alert_outages.py [--alerts 5000] [--outages 30 120 300 3600] [--seed 1]

Prints JSON: per outage, the fraction dead-lettered, the attempts per alert (mean and max) and
how long after the outage ended the last alert went out.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alerts.backoff import RetryPolicy  # noqa: E402
from alerts.errors import DeliveryError  # noqa: E402

OUTAGE = DeliveryError("HTTP 503", kind="slack", target="#bench", retryable=True)
# decide(attempt, failing_for, rng) -> the delay before the next attempt, or None: dead-letter
Decide = Callable[[int, float, random.Random], float | None]


def before(attempt: int, failing_for: float, rng: random.Random) -> float | None:
    """The previous policy: full jitter, base 2 s, cap 5 min, 8 attempts."""
    if attempt >= 8:
        return None
    return rng.uniform(0.0, min(300.0, 2.0 * 2.0 ** (attempt - 1)))


def after(attempt: int, failing_for: float, rng: random.Random) -> float | None:
    """The shipped RetryPolicy."""
    decision = RetryPolicy().decide(attempt=attempt, error=OUTAGE, rng=rng, failing_for=failing_for)
    return decision.delay if decision.retry else None


def simulate(
    decide: Decide, *, outage: float, alerts: int, seed: int, at_start: bool
) -> dict[str, Any]:
    """Run ``alerts`` deliveries through one outage under one policy."""
    rng = random.Random(seed)
    dead = 0
    attempts: list[int] = []
    late: list[float] = []
    for _ in range(alerts):
        first = 0.0 if at_start else rng.uniform(0.0, outage)
        at, attempt = first, 0
        while True:
            attempt += 1
            if at >= outage:  # the channel is back: delivered
                late.append(at - outage)
                break
            delay = decide(attempt, at - first, rng)
            if delay is None:
                dead += 1
                break
            at += delay
        attempts.append(attempt)
    return {
        "dead_fraction": round(dead / alerts, 4),
        "attempts_mean": round(sum(attempts) / alerts, 1),
        "attempts_max": max(attempts),
        "last_delivered_after_outage_s": round(max(late), 1) if late else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--alerts", type=int, default=5000)
    parser.add_argument("--outages", type=float, nargs="+", default=[30, 120, 300, 3600])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    results = {
        f"{outage:g}s": {
            name: {
                mode: simulate(
                    policy,
                    outage=outage,
                    alerts=args.alerts,
                    seed=args.seed,
                    at_start=mode == "at_start",
                )
                for mode in ("at_start", "during")
            }
            for name, policy in (("before", before), ("after", after))
        }
        for outage in args.outages
    }
    print(json.dumps({"alerts": args.alerts, "outages": results}, indent=2))


if __name__ == "__main__":
    main()
