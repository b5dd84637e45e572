"""Stop the service during an open escalation: after a restart the next step fires at its
original due time, once, and nothing already sent is sent again."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from monitor.db.models import Incident, IncidentEvent
from monitor.incidents.context import build_incident_context
from monitor.incidents.escalation import start_incident_escalation
from monitor.service.runner import RunReport, ServiceHandle, run_service

PLAYBOOK = """\
name: test-high
description: Two levels, ten minutes apart.
applies_to: {grades: [high]}
sla: {time_to_ack: 10m, time_to_first_response: 1h}
checklist:
  - {id: look, owner: on-call responder, text: Look at it.}
steps:
  - notify: [risk]
  - wait_ack: 10m
  - notify: [risk]
repeat: 0
scripts: []
"""


def _config(tmp_path: Path) -> str:
    (tmp_path / "playbook.yaml").write_text(PLAYBOOK, encoding="utf-8")
    return f"""\
channels:
  risk: {{kind: file, path: {tmp_path / 'alerts.jsonl'}}}
playbooks: {{paths: [playbook.yaml]}}
alerting: {{group_wait: 0s}}
service:
  escalation_interval: 0.2s
  dispatch_interval: 0.2s
  health_port: null
  retention_days: null
  digest_cron: null  # on a Monday after 09:00 the weekly digest would be sent at start-up
"""


class Service:
    """One run of the service in a thread, on the test's app."""

    def __init__(self, app: Any) -> None:
        self.stop = threading.Event()
        self.ready: list[ServiceHandle] = []
        self.report: list[RunReport] = []
        self.thread = threading.Thread(target=lambda: self.report.append(
            run_service(app, stop=self.stop, health_port=None, on_ready=self.ready.append)))
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.ready and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.ready

    def ticks(self) -> float:
        value = self.ready[0].metrics.registry.get_sample_value(
            "crisiswatch_job_runs_total", {"job": "escalation", "outcome": "ok"})
        return value or 0.0

    def wait_ticks(self, count: int = 3) -> None:
        """Let the escalation tick (and the dispatch after it) run ``count`` more times."""
        target = self.ticks() + count
        deadline = time.monotonic() + 30
        while self.ticks() < target and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.ticks() >= target
        time.sleep(0.5)  # the dispatch kicked by the last tick

    def halt(self) -> None:
        self.stop.set()
        self.thread.join(60)
        assert self.report and self.report[0].clean


def _levels(tmp_path: Path) -> list[int]:
    path = tmp_path / "alerts.jsonl"
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [int(line["incident"]["escalation_level"]) for line in lines]


def test_escalation_survives_a_restart_and_fires_once_at_its_due_time(
    write_config: Callable[[str], Any], open_app: Callable[..., Any], tmp_path: Path,
    shift_clock: Any,
) -> None:
    loaded = write_config(_config(tmp_path))
    app = open_app(loaded, clock=shift_clock)
    t0 = shift_clock()
    ctx = build_incident_context(loaded.settings, loaded.base_dir, clock=shift_clock)
    with app.sessions.begin() as session:
        incident = Incident(
            entity_id="acme", category="product_safety", state="open", grade="high",
            peak_grade="high", likelihood=4, impact=4, reasons=[], title="Acme batteries",
            first_seen_at=t0, last_seen_at=t0, opened_at=t0, updated_at=t0, mention_count=1,
            negative_count=1, neutral_count=0, positive_count=0, reach_total=0, top_sources=[],
            top_authors=[], drill=False,
        )
        session.add(incident)
        session.flush()
        start_incident_escalation(session, ctx=ctx, incident=incident, now=t0, silences=[])
        incident_id = incident.id
    due = t0 + timedelta(minutes=10)

    first = Service(app)
    first.wait_ticks()
    assert _levels(tmp_path) == [1]
    shift_clock.advance(minutes=1)
    first.halt()  # stopped with the level-2 step pending

    shift_clock.advance(minutes=4)  # down for four minutes, restarted at t0 + 5m
    second = Service(app)
    second.wait_ticks()
    assert _levels(tmp_path) == [1]  # no re-alert after the restart
    with app.sessions() as session:
        stored = session.get(Incident, incident_id)
        assert stored is not None and stored.next_due_at == due  # the stored timer, unchanged
    shift_clock.now = due - timedelta(seconds=2)
    second.wait_ticks()
    assert _levels(tmp_path) == [1]  # not early
    shift_clock.now = due
    second.wait_ticks()
    assert _levels(tmp_path) == [1, 2]  # at the original due time, not 10 minutes after restart
    second.wait_ticks()
    second.halt()

    shift_clock.advance(minutes=5)
    third = Service(app)
    third.wait_ticks()
    third.halt()
    assert _levels(tmp_path) == [1, 2]  # once, across restarts
    with app.sessions() as session:
        stored = session.scalars(select(Incident)).one()
        assert stored.next_due_at is None  # escalation finished (repeat: 0)
        alerts = session.scalars(select(IncidentEvent).where(IncidentEvent.kind == "alert")
                                 .order_by(IncidentEvent.id)).all()
        assert [(e.detail["level"], e.at) for e in alerts] == [(1, t0), (2, due)]
