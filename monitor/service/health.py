"""``/healthz`` and ``/metrics`` on a small HTTP server (127.0.0.1 by default).

``/healthz`` answers 200 when the database answers, the scheduler runs where it should (leader
or single instance) and every worker thread is alive; else 503, with the problems listed. It
also shows each source's last successful poll and whether it looks stale; a stale source is a
problem of that source, not of the service, so it does not turn the answer into a 503. The
same goes for dead-lettered alerts: ``alerts`` counts them (and the pending ones that are
retrying) and shows the latest one's error; they need a person (`crisiswatch alerts --failed`,
`crisiswatch alerts retry`), not a restart.

The database is probed by a background thread, never by the request, so a hung database makes
``/healthz`` say so quickly instead of hanging with it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Alert, Source
from monitor.replies.listing import overdue_count
from monitor.service.logging import Redactor

log = logging.getLogger(__name__)

STALE_FACTOR = 3


def source_health(
    *,
    last_success_at: datetime | None,
    consecutive_failures: int | None,
    last_error: str | None,
    interval: timedelta | None,
    now: datetime,
    redact: Callable[[str], str],
) -> dict[str, Any]:
    """One source's health as /healthz shows it: stale when no success for STALE_FACTOR poll
    intervals (never, for unscheduled sources), the last error only while it keeps failing."""
    age = (now - last_success_at).total_seconds() if last_success_at else None
    return {
        "last_success_at": last_success_at.isoformat() if last_success_at else None,
        "age_seconds": round(age, 1) if age is not None else None,
        "interval_seconds": interval.total_seconds() if interval else None,
        "consecutive_failures": consecutive_failures or 0,
        "stale": interval is not None
        and (age is None or age > STALE_FACTOR * interval.total_seconds()),
        "last_error": redact(last_error) if consecutive_failures and last_error else None,
    }


@dataclass
class ServiceStatus:
    """Live facts the runner keeps up to date for /healthz."""

    instance: str
    role: Callable[[], str]  # "single", "leader" or "follower"
    scheduler_running: Callable[[], bool]
    workers_alive: Callable[[], int]
    workers_expected: int
    busy: Callable[[], list[str]] = list
    leader_present: Callable[[], bool | None] = lambda: None


@dataclass
class HealthProbe:
    """Reads the database every ``every`` seconds and keeps the last answer."""

    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]
    intervals: Mapping[str, timedelta]  # effective poll interval of each scheduled source
    every: float = 5.0
    redact: Callable[[str], str] = field(default_factory=Redactor)
    checked_at: datetime | None = None
    ok_at: datetime | None = None
    error: str | None = None
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    alerts: dict[str, Any] = field(default_factory=dict)
    replies_overdue: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self) -> None:
        """Probe the database once."""
        now = self.clock()
        try:
            with self.sessions() as session:
                session.execute(text("SELECT 1"))
                rows = session.execute(
                    select(Source.id, Source.last_success_at, Source.consecutive_failures,
                           Source.last_error)
                ).all()
                alerts = self._alerts(session)
                replies_overdue = overdue_count(session, now=now)
        except SQLAlchemyError as exc:
            with self._lock:
                self.checked_at, self.error = now, self.redact(" ".join(str(exc).split())[:300])
            return
        sources = {
            source_id: source_health(last_success_at=last_ok, consecutive_failures=failures,
                                     last_error=last_error, interval=self.intervals.get(source_id),
                                     now=now, redact=self.redact)
            for source_id, last_ok, failures, last_error in rows
        }
        with self._lock:
            self.checked_at = self.ok_at = now
            self.error = None
            self.sources = sources
            self.alerts = alerts
            self.replies_overdue = replies_overdue

    def _alerts(self, session: Session) -> dict[str, Any]:
        dead = session.scalar(select(func.count()).where(Alert.status == "dead"))
        retrying = session.scalar(
            select(func.count()).where(Alert.status == "pending", Alert.attempts > 0)
        )
        latest = session.execute(
            select(Alert.id, Alert.channel, Alert.last_error)
            .where(Alert.status == "dead").order_by(Alert.id.desc()).limit(1)
        ).first()
        return {
            "dead": dead or 0,
            "retrying": retrying or 0,
            "latest_dead": None if latest is None else {
                "id": latest.id, "channel": latest.channel,
                "error": self.redact(latest.last_error or "")[:300],
            },
        }

    def snapshot(self) -> tuple[bool, dict[str, Any], dict[str, dict[str, Any]]]:
        """(database ok, database section, sources section) as of the last probe."""
        with self._lock:
            now = self.clock()
            fresh = self.ok_at is not None and (now - self.ok_at).total_seconds() <= 3 * self.every
            ok = fresh and self.error is None
            error = None
            if not ok:
                error = self.error or f"no answer from the database since {_iso(self.ok_at)}"
            section = {
                "ok": ok,
                "checked_at": self.checked_at.isoformat() if self.checked_at else None,
                "error": error,
            }
            return ok, section, dict(self.sources)

    def alerts_snapshot(self) -> dict[str, Any]:
        """Dead-lettered and retrying alerts as of the last probe."""
        with self._lock:
            return dict(self.alerts)

    def run(self, stop: threading.Event) -> None:
        """Probe until ``stop`` is set."""
        while True:
            self.refresh()
            if stop.wait(self.every):
                return


def health_report(probe: HealthProbe, status: ServiceStatus) -> tuple[int, dict[str, Any]]:
    """The HTTP status (200 or 503) and JSON body of /healthz."""
    db_ok, database, sources = probe.snapshot()
    role = status.role()
    running = status.scheduler_running()
    alive = status.workers_alive()
    problems = [] if db_ok else [f"database: {database['error']}"]
    if role in ("single", "leader") and not running:
        problems.append("scheduler: not running on the leader")
    if alive < status.workers_expected:
        problems.append(f"workers: {alive} of {status.workers_expected} alive")
    body = {
        "status": "ok" if not problems else "unhealthy",
        "instance": status.instance,
        "role": role,
        "database": database,
        "scheduler": {"running": running, "leader_present": status.leader_present()
                      if role == "follower" else True},
        "workers": {"alive": alive, "expected": status.workers_expected, "busy": status.busy()},
        "sources": sources,
        "stale_sources": sorted(k for k, v in sources.items() if v["stale"]),
        "alerts": probe.alerts_snapshot(),
        "replies": {"overdue": probe.replies_overdue},  # not a problem of the service's own
        "problems": problems,
    }
    return (200 if not problems else 503), body


class HealthServer:
    """ThreadingHTTPServer serving /healthz and /metrics from a daemon thread."""

    def __init__(self, *, host: str, port: int, probe: HealthProbe, status: ServiceStatus,
                 metrics: Callable[[], bytes]) -> None:
        handler = _handler(probe, status, metrics)
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="health-http",
                                        daemon=True)

    @property
    def port(self) -> int:
        """The bound port (useful when 0 was asked)."""
        return int(self.server.server_address[1])

    def start(self) -> HealthServer:
        """Serve in the background."""
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()


def _handler(probe: HealthProbe, status: ServiceStatus,
             metrics: Callable[[], bytes]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "crisiswatch"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            log.debug("health: " + format, *args)

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                code, body = health_report(probe, status)
                self._send(code, "application/json",
                           json.dumps(body, ensure_ascii=False, indent=2).encode())
            elif path == "/metrics":
                try:
                    payload = metrics()
                except Exception:  # noqa: BLE001 - a broken collector must not kill the server
                    log.exception("metrics: collecting failed")
                    self._send(500, "text/plain", b"metrics collection failed\n")
                    return
                self._send(200, CONTENT_TYPE_LATEST, payload)
            else:
                self._send(404, "text/plain", b"not found: try /healthz or /metrics\n")

        def _send(self, code: int, content_type: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else "start-up"
