"""A dispatcher process for the crash test: runs until it is killed.

Usage: python dispatch_worker.py DATABASE_URL SLACK_BASE_URL LEASE_SECONDS [LIMIT]
"""

from __future__ import annotations

import sys
import threading
from datetime import timedelta

from alerts.grouping import GroupingPolicy
from alerts.registry import build_channel
from monitor.alerting.dispatch import DispatchPolicy, run_dispatcher
from monitor.db.engine import make_engine, session_factory
from monitor.instance import instance_name


def main() -> None:
    url, base_url, lease = sys.argv[1], sys.argv[2], float(sys.argv[3])
    limit = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    channel = build_channel(
        name="slack", kind="slack", options={"channel": "#risk-alerts", "base_url": base_url},
        environ={"SLACK_BOT_TOKEN": "xoxb-test-token"},
    )
    policy = DispatchPolicy(
        grouping=GroupingPolicy(max_individual=1000), lease=timedelta(seconds=lease)
    )
    print("ready", flush=True)
    run_dispatcher(sessions=session_factory(make_engine(url)), channels={"slack": channel},
                   policy=policy, stop=threading.Event(), interval=0.02, limit=limit,
                   worker_id=instance_name())


if __name__ == "__main__":
    main()
