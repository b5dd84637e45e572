"""The quickstart's cost on one core: wall time, its own "Done in" figure and peak RSS.

Prints JSON. Usage: python benchmarks/quickstart.py [--runs 3] [--cores 0]
Target (issue 8): the README's run command shows the whole story in under 60 s on one core
(the install before it is not counted; tests/test_readme_quickstart.py prints that too).

Each run is a fresh process pinned to the given cores, in a fresh temporary folder, so model
loading, jieba's start-up and the SQLite schema creation are all counted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one_run(cores: set[int]) -> dict[str, float]:
    crisiswatch = shutil.which("crisiswatch") or str(Path(sys.executable).with_name("crisiswatch"))
    with tempfile.TemporaryDirectory() as folder:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([crisiswatch, "quickstart"], cwd=folder, capture_output=True,
                              text=True, preexec_fn=lambda: os.sched_setaffinity(0, cores),
                              env={k: v for k, v in os.environ.items()
                                   if not k.startswith("CRISISWATCH_")})
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"quickstart failed ({done.returncode}):\n{done.stderr[-2000:]}")
    own = re.search(r"Done in ([\d.]+) s", done.stdout)
    opened = re.search(r"(\d+) incidents opened", done.stdout)
    return {
        "wall_s": round(wall, 2),
        "quickstart_s": float(own.group(1)) if own else -1.0,
        "cpu_s": round((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 2),
        "incidents": float(opened.group(1)) if opened else -1.0,
        "console_alerts": float(done.stdout.count("— Incident opened")),
        "peak_rss_mb": round(after.ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cores", default="0", help="CPU numbers, comma-separated.")
    args = parser.parse_args()
    cores = {int(c) for c in args.cores.split(",")}
    runs = [one_run(cores) for _ in range(args.runs)]
    print(json.dumps({
        "cores": sorted(cores),
        "runs": runs,
        "median_wall_s": statistics.median(r["wall_s"] for r in runs),
        "max_wall_s": max(r["wall_s"] for r in runs),
        "target_s": 60,
    }, indent=2))


if __name__ == "__main__":
    main()
