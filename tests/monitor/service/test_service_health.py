"""/healthz and /metrics of a running service (in a thread, on SQLite)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor.db.engine import make_engine, session_factory
from monitor.db.migrate import ensure_schema
from monitor.db.models import Alert, Incident
from monitor.service.health import HealthProbe, ServiceStatus, health_report
from monitor.service.metrics import ServiceMetrics
from monitor.service.runner import RunReport, ServiceHandle, run_service

CONFIG = """\
sources:
  - {id: alpha, kind: rss, url: feeds/alpha.xml, interval: 1h}
  - {id: beta, kind: rss, url: feeds/beta.xml, interval: 1h}
  - {id: gamma, kind: rss, url: feeds/missing.xml, interval: 1h}
service: {workers: 2, dispatch_interval: 1s, escalation_interval: 1s, jitter: 0s}
"""


@pytest.fixture()
def running(write_config: Callable[[str], Any], open_app: Callable[..., Any], tmp_path: Path,
            rss_doc: Callable[..., bytes]) -> Iterator[tuple[Any, ServiceHandle]]:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "alpha.xml").write_bytes(
        rss_doc([("a1", "Acme opens a new store"), ("a2", "Acme hires"), ("a3", "weather")]))
    (tmp_path / "feeds" / "beta.xml").write_bytes(rss_doc([("b1", "艾克美 新品发布")]))
    app = open_app(write_config(CONFIG))
    stop = threading.Event()
    ready: list[ServiceHandle] = []
    report: list[RunReport] = []
    thread = threading.Thread(target=lambda: report.append(run_service(
        app, stop=stop, health_port=0, on_ready=ready.append)))
    thread.start()
    deadline = time.monotonic() + 30
    while not ready and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready, "the service did not start"
    yield app, ready[0]
    stop.set()
    thread.join(60)
    assert report and report[0].clean and report[0].role == "single"


def _get(port: int, path: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10)


def _wait_for_polls(port: int) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body: dict[str, Any] = _get(port, "/healthz").json()
        sources = body["sources"]
        if {"alpha", "beta", "gamma"} <= set(sources) and sources["alpha"]["last_success_at"] \
                and sources["beta"]["last_success_at"] and sources["gamma"]["consecutive_failures"]:
            return body
        time.sleep(0.1)
    raise AssertionError(f"sources were not polled: {body}")


def test_healthz_reports_database_scheduler_workers_and_source_ages(
    running: tuple[Any, ServiceHandle],
) -> None:
    _, handle = running
    assert handle.health_port
    _wait_for_polls(handle.health_port)
    response = _get(handle.health_port, "/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["problems"] == []
    assert body["role"] == "single" and body["instance"] == handle.instance
    assert body["database"]["ok"] is True
    assert body["scheduler"]["running"] is True
    assert body["workers"]["alive"] == body["workers"]["expected"] == 2
    alpha = body["sources"]["alpha"]
    assert 0 <= alpha["age_seconds"] < 60 and alpha["interval_seconds"] == 3600
    assert alpha["stale"] is False and alpha["consecutive_failures"] == 0
    gamma = body["sources"]["gamma"]
    assert gamma["last_success_at"] is None and gamma["stale"] is True
    assert "missing.xml" in gamma["last_error"]
    assert body["stale_sources"] == ["gamma"]  # shown, but a bad source is not a 503
    assert _get(handle.health_port, "/nope").status_code == 404


def test_metrics_in_prometheus_format(running: tuple[Any, ServiceHandle]) -> None:
    app, handle = running
    assert handle.health_port
    _wait_for_polls(handle.health_port)
    now = datetime.now(UTC)
    with app.sessions.begin() as session:
        for n, (grade, state) in enumerate([("high", "open"), ("high", "open"),
                                            ("critical", "acknowledged"), ("low", "resolved")]):
            session.add(_incident(n, grade, state, now, due=now - timedelta(minutes=10)))
        session.flush()
        for n, (status, attempts) in enumerate([("sent", 1), ("pending", 2), ("pending", 0),
                                                ("dead", 8)]):
            session.add(Alert(event="opened", channel="console", dedup_key=f"k{n}",
                              payload={}, status=status, attempts=attempts,
                              next_attempt_at=now + timedelta(hours=1), created_at=now))
    response = _get(handle.health_port, "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }
    assert samples[("crisiswatch_mentions_total", (("outcome", "new"), ("source", "alpha")))] == 2
    assert samples[("crisiswatch_mentions_total",
                    (("outcome", "unmatched"), ("source", "alpha")))] == 1
    assert samples[("crisiswatch_mentions_total", (("outcome", "new"), ("source", "beta")))] == 1
    assert samples[("crisiswatch_source_errors_total", (("source", "gamma"),))] >= 1
    assert samples[("crisiswatch_database_up", ())] == 1
    assert samples[("crisiswatch_leader", ())] == 1
    assert samples[("crisiswatch_incidents", (("grade", "high"), ("state", "open")))] == 2
    assert samples[("crisiswatch_incidents",
                    (("grade", "critical"), ("state", "acknowledged")))] == 1
    assert samples[("crisiswatch_alerts", (("status", "pending"),))] == 2
    assert samples[("crisiswatch_alerts", (("status", "dead"),))] == 1
    assert samples[("crisiswatch_alerts_retrying", ())] == 1
    assert samples[("crisiswatch_escalations_overdue", ())] == 3  # open and acknowledged ones
    assert samples[("crisiswatch_source_consecutive_failures", (("source", "gamma"),))] >= 1
    assert ("crisiswatch_source_last_success_age_seconds", (("source", "alpha"),)) in samples
    assert samples[("crisiswatch_job_runs_total", (("job", "poll"), ("outcome", "ok")))] >= 3
    for name in ("crisiswatch_scoring_seconds_count", "crisiswatch_escalations_total",
                 "crisiswatch_work_oldest_seconds"):
        assert any(key[0] == name for key in samples), name
    assert samples[("crisiswatch_alert_deliveries_total", (("outcome", "sent"),))] == 0


def _incident(n: int, grade: str, state: str, now: datetime, *, due: datetime) -> Incident:
    return Incident(
        entity_id="acme", category="product_safety", state=state, grade=grade, peak_grade=grade,
        likelihood=3, impact=3, reasons=[], title=f"incident {n}", first_seen_at=now,
        last_seen_at=now, opened_at=now, updated_at=now, mention_count=1, negative_count=1,
        neutral_count=0, positive_count=0, reach_total=0, top_sources=[], top_authors=[],
        next_due_at=due if state != "resolved" else None, drill=False,
    )


def _status(role: str = "single", running: bool = True, alive: int = 2) -> ServiceStatus:
    return ServiceStatus(instance="test", role=lambda: role, scheduler_running=lambda: running,
                         workers_alive=lambda: alive, workers_expected=2)


def test_unreachable_database_is_a_503_with_the_reason(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nowhere' / 'db.sqlite'}")
    (tmp_path / "nowhere" / "db.sqlite").mkdir()  # a folder where the file should be
    probe = HealthProbe(session_factory(engine), lambda: datetime.now(UTC), {})
    probe.refresh()
    code, body = health_report(probe, _status())
    assert code == 503 and body["status"] == "unhealthy"
    assert body["database"]["ok"] is False
    assert body["problems"][0].startswith("database: ")
    engine.dispose()


def test_leader_without_scheduler_or_dead_workers_is_a_503(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    ensure_schema(engine)
    clock = {"now": datetime.now(UTC)}
    probe = HealthProbe(session_factory(engine), lambda: clock["now"], {}, every=5)
    probe.refresh()
    assert health_report(probe, _status())[0] == 200
    code, body = health_report(probe, _status(role="leader", running=False))
    assert code == 503 and body["problems"] == ["scheduler: not running on the leader"]
    assert health_report(probe, _status(role="follower", running=False))[0] == 200
    code, body = health_report(probe, _status(alive=1))
    assert code == 503 and body["problems"] == ["workers: 1 of 2 alive"]
    clock["now"] += timedelta(seconds=16)  # the probe thread has not answered for 3 rounds
    code, body = health_report(probe, _status())
    assert code == 503 and "no answer from the database" in body["database"]["error"]
    engine.dispose()


def test_dead_letters_are_reported_on_healthz_and_metrics(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    ensure_schema(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    metrics = ServiceMetrics()
    metrics.watch_database(sessions, lambda: now)

    def dead_gauge() -> float:
        families = text_string_to_metric_families(metrics.render().decode())
        return next(s.value for f in families for s in f.samples
                    if s.name == "crisiswatch_alerts" and s.labels == {"status": "dead"})

    assert dead_gauge() == 0  # present before any alert was ever dead-lettered
    probe = HealthProbe(sessions, lambda: now, {})
    probe.refresh()
    assert health_report(probe, _status())[1]["alerts"] == {
        "dead": 0, "retrying": 0, "latest_dead": None}
    with sessions.begin() as session:
        for n, (status, attempts, error) in enumerate([
            ("dead", 1, "slack: channel_not_found for #risk (not retryable)"),
            ("dead", 1, "slack: invalid_auth for #risk (not retryable)"),
            ("pending", 3, "slack: HTTP 503 for #risk (retryable)"),
        ]):
            session.add(Alert(event="opened", channel="slack", dedup_key=f"k{n}", payload={},
                              status=status, attempts=attempts, last_error=error,
                              next_attempt_at=now, created_at=now))
    probe.refresh()
    code, body = health_report(probe, _status())
    assert code == 200  # a dead letter needs a person, not a restart
    assert body["alerts"]["dead"] == 2 and body["alerts"]["retrying"] == 1
    assert body["alerts"]["latest_dead"] == {
        "id": 2, "channel": "slack", "error": "slack: invalid_auth for #risk (not retryable)"}
    assert dead_gauge() == 2
    engine.dispose()
