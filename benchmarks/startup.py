"""Start-up cost of the command line: CPU-seconds per command, against two baselines.

Prints JSON. Usage: python benchmarks/startup.py [--runs 5]
Target (issue 15, item 14): `crisiswatch --help` and commands that do not score cost at most
0.3 CPU-s; `classify` loads only the models its text's language needs.

Each figure is the median over fresh processes of user + system CPU time, in one temporary
folder with the bundled example configuration and an empty SQLite database, migrated first (so
`incidents` measures the command, not creating the schema). The baselines are an empty
interpreter (`python -c pass`) and importing what every database command needs at least
(`import sqlalchemy, click`); ratios are to both.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CRISISWATCH = shutil.which("crisiswatch") or str(Path(sys.executable).with_name("crisiswatch"))
BASELINES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import sqlalchemy, click": [sys.executable, "-c", "import sqlalchemy, click"],
}
COMMANDS = {
    "--help": ["--help"],
    "incidents --help": ["incidents", "--help"],
    "check-config": ["check-config"],
    "incidents (empty database)": ["incidents"],
    "classify (en)": ["classify", "The milk made my child sick, recall it now"],
    "classify (zh)": ["classify", "喝了这批奶粉孩子腹泻，要求召回"],
}


def cpu_seconds(argv: list[str], folder: str) -> float:
    """User + system CPU time of one run of ``argv`` in ``folder`` (must exit 0)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISISWATCH_")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def median_cpu(argv: list[str], runs: int, folder: str) -> float:
    return round(statistics.median(cpu_seconds(argv, folder) for _ in range(runs)), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    commands: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        cpu_seconds([CRISISWATCH, "db", "upgrade"], folder)
        base = {name: median_cpu(argv, args.runs, folder) for name, argv in BASELINES.items()}
        for name, argv in COMMANDS.items():
            cpu = median_cpu([CRISISWATCH, *argv], args.runs, folder)
            ratios = {f"x {b}": round(cpu / max(t, 1e-3), 1) for b, t in base.items()}
            commands[name] = {"cpu_s": cpu, **ratios}
    out = {"runs": args.runs, "baselines_cpu_s": base, "commands": commands}
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
