"""SIGTERM in the middle of an ingest: exit 0 within the shutdown bound, nothing half written,
a second instance on the same SQLite refused meanwhile, and a restart finishes the file."""

from __future__ import annotations

import csv
import logging
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from monitor.service.watchdog import start_shutdown_watchdog

ROWS = 12_000
CONFIG = """\
version: 1
organisation: {{name: Acme}}
storage: {{data_dir: {data}}}
entities:
  - {{id: acme, name: Acme, kind: brand, aliases: [Acme, 艾克美]}}
sources:
  - {{id: big, kind: export, path: big.csv, interval: 1h}}
service: {{health_port: null, shutdown_timeout: 1s, workers: 1}}
"""


def _query(db: Path, sql: str) -> Any:
    with sqlite3.connect(db, timeout=10) as conn:
        return conn.execute(sql).fetchone()


def test_sigterm_mid_ingest_exits_0_in_time_and_restart_completes(
    tmp_path: Path, cli_process: Callable[..., Any]
) -> None:
    with (tmp_path / "big.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "author", "text"])
        for i in range(ROWS):
            text = f"Acme post number {i}" if i % 3 else f"艾克美 第{i}条"
            writer.writerow([i, f"u{i % 97}", text])
    config = tmp_path / "cw.yaml"
    config.write_text(CONFIG.format(data=tmp_path / "data"), encoding="utf-8")
    db = tmp_path / "data" / "crisiswatch.sqlite"
    service = cli_process(config, "run", log=tmp_path / "run.log")
    deadline = time.monotonic() + 120
    while not (tmp_path / "data" / "crisiswatch.sqlite.lock").exists():
        assert time.monotonic() < deadline and service.poll() is None
        time.sleep(0.05)
    second = cli_process(config, "run")  # starts while the first ingests

    progressed = 0
    while time.monotonic() < deadline and service.poll() is None and not progressed:
        try:
            progressed = _query(db, "SELECT max(last_line) FROM ingest_runs")[0] or 0
        except sqlite3.OperationalError:
            progressed = 0
        time.sleep(0.05)
    assert service.poll() is None and progressed, (tmp_path / "run.log").read_text()
    out, _ = second.communicate(timeout=120)
    assert second.returncode == 1
    assert "another crisiswatch instance" in out and "is already running" in out
    assert f"pid {service.pid}" in out
    assert _query(db, "SELECT max(last_line) FROM ingest_runs")[0] < ROWS, "finished too soon"

    service.send_signal(signal.SIGTERM)
    # shutdown_timeout is 1s: the process must be gone well within this (generous) bound
    assert service.wait(timeout=30) == 0
    log = (tmp_path / "run.log").read_text(encoding="utf-8")
    assert "received SIGTERM" in log and "Traceback" not in log
    assert "shutdown still not finished" not in log

    # nothing half written: every committed batch carries its resume point with it
    status, last_line, run_id = _query(
        db, "SELECT status, last_line, id FROM ingest_runs ORDER BY id DESC")
    stored = _query(db, f"SELECT count(*) FROM mentions WHERE run_id = {run_id}")[0]
    if status == "running":  # cut short (the usual case): resumes after last_line
        assert stored == last_line - 1  # line 1 is the header; every row matches
    else:
        assert status == "ok" and stored == ROWS
    claimed = _query(db, "SELECT count(*) FROM work_items WHERE claimed_by IS NOT NULL")[0]
    assert claimed == 0  # unfinished work was handed back, not left leased

    done = cli_process(config, "run", "--once")
    out, _ = done.communicate(timeout=300)
    assert done.returncode == 0, out
    total, distinct = _query(db, "SELECT count(*), count(DISTINCT external_id) FROM mentions")
    assert total == distinct == ROWS
    assert _query(db, "SELECT status FROM ingest_runs ORDER BY id DESC")[0] == "ok"


def test_watchdog_logs_every_thread_stack_and_exits_0_when_a_stop_overruns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop, stuck, exited = threading.Event(), threading.Event(), threading.Event()
    codes: list[int] = []

    def blocked_in_close() -> None:
        stuck.wait()

    def fake_exit(code: int) -> None:
        codes.append(code)
        exited.set()

    holder = threading.Thread(target=blocked_in_close, name="stuck-closer", daemon=True)
    holder.start()
    with caplog.at_level(logging.ERROR, logger="monitor.service"):
        start_shutdown_watchdog(stop, seconds=0.05, exit_process=fake_exit)
        assert not exited.wait(0.3), "exited before any stop was asked"
        stop.set()
        assert exited.wait(5)
    stuck.set()
    assert codes == [0]
    message = caplog.records[-1].getMessage()
    assert message.startswith("shutdown still not finished 0s after the stop request")
    assert "thread stuck-closer:" in message and "in blocked_in_close" in message
