"""SIGKILL halfway through a large file (the whole pipeline: scoring, incidents): the next run
ingests the rest, nothing twice or lost."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROWS = 60_000
CONFIG = """\
version: 1
organisation: {name: Acme}
entities:
  - {id: acme, name: Acme, kind: brand, aliases: [Acme, 艾克美]}
"""


def _cli(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", "from monitor.cli.main import main; main()",
            "--config", str(config), *args]


@pytest.mark.slow
def test_killed_ingest_resumes_without_duplicates_or_gaps(tmp_path: Path) -> None:
    data = tmp_path / "big.csv"
    with data.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "author", "text"])
        for i in range(ROWS):
            text = f"Acme post number {i}" if i % 3 else f"艾克美 第{i}条"
            writer.writerow([i, f"u{i % 97}", text])
    config = tmp_path / "cw.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    db = tmp_path / "crisiswatch-data" / "crisiswatch.sqlite"
    repo = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    proc = subprocess.Popen(_cli(config, "ingest", str(data)), cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    progressed = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as conn:
                    row = conn.execute("SELECT max(last_line) FROM ingest_runs").fetchone()
                    progressed = row[0] or 0
            except sqlite3.OperationalError:
                progressed = 0
        if progressed >= ROWS // 5:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "ingest finished before it could be killed; raise ROWS"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with sqlite3.connect(db) as conn:
        partial = conn.execute("SELECT count(*) FROM mentions").fetchone()[0]
    assert 0 < partial < ROWS

    done = subprocess.run(_cli(config, "ingest", str(data)), cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "resumed after line" in done.stdout
    with sqlite3.connect(db) as conn:
        total, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT external_id) FROM mentions"
        ).fetchone()
        ids = {int(r[0]) for r in conn.execute("SELECT external_id FROM mentions")}
        status = conn.execute("SELECT status FROM ingest_runs ORDER BY id DESC").fetchone()[0]
        unscored = conn.execute("SELECT count(*) FROM mentions WHERE scored_at IS NULL "
                                "OR grade IS NULL").fetchone()[0]
        links, linked = conn.execute("SELECT count(*), count(DISTINCT mention_id) "
                                     "FROM mention_entities").fetchone()
    assert total == distinct == ROWS
    assert unscored == 0  # scores are written in the same INSERT as the mention
    assert links == linked == ROWS
    assert ids == set(range(ROWS))
    assert status == "ok"
