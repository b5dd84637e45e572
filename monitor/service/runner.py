"""``run_service``: health, leadership, scheduler, workers and Socket Mode, until told to stop.

Start-up: on SQLite take the instance lock (a second instance is refused) and lead at once; on
PostgreSQL campaign for the leader lock and schedule only while leading. Every instance runs
workers that claim work from the queue. Shutdown (``stop`` set, e.g. by SIGTERM): the scheduler
stops, leadership is given up (a follower takes over at once), workers finish the item in hand
for up to ``service.shutdown_timeout`` and anything still running is handed back to the queue.
Ingest batches, escalation ticks and outbox updates are each one transaction, so whatever is
cut short is rolled back whole, and a restart carries on from the stored state: source poll
times, incident escalation timers, outbox rows and queued work all live in the database.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from apscheduler.schedulers.background import BackgroundScheduler

from monitor.alerting.dispatch import DispatchStats
from monitor.app import App
from monitor.instance import instance_name
from monitor.pipeline.ingest import IngestStats, RunLease, renew_runs
from monitor.service.health import HealthProbe, HealthServer, ServiceStatus
from monitor.service.jobs import ONCE_ORDER, JobSet, build_jobs, effective_interval
from monitor.service.leader import PgLeaderElection, SqliteInstanceLock
from monitor.service.logging import log_context
from monitor.service.metrics import ServiceMetrics
from monitor.service.scheduler import build_scheduler
from monitor.service.work import Work, WorkerPool, WorkQueue

log = logging.getLogger(__name__)

DEFAULT_PORT: Any = object()


class Closeable(Protocol):
    """Something to close at shutdown (e.g. a Socket Mode connection)."""

    def close(self) -> None:
        """Release it."""


@dataclass
class RunReport:
    """How the service stopped."""

    role: str
    clean: bool  # every running work item finished before the shutdown timeout
    unfinished: list[str] = field(default_factory=list)


@dataclass
class ServiceHandle:
    """What a running service exposes (to tests, and to the log line at start-up)."""

    instance: str
    health_port: int | None
    metrics: ServiceMetrics
    queue: WorkQueue
    pool: WorkerPool
    role: Callable[[], str]


def sqlite_database(app: App) -> Path | None:
    """The SQLite file behind ``app`` (None for PostgreSQL or an in-memory database)."""
    url = app.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).resolve()


def instance_lock(app: App) -> SqliteInstanceLock | None:
    """On SQLite, the held instance lock (raises AlreadyRunning); None on PostgreSQL."""
    database = sqlite_database(app)
    return SqliteInstanceLock(database).acquire() if database is not None else None


class _Leadership:
    """Starts the scheduler when this instance leads and stops it when it no longer does."""

    def __init__(self, app: App, jobs: JobSet, submit: Callable[[list[Work]], object],
                 metrics: ServiceMetrics) -> None:
        self.app, self.jobs, self.submit, self.metrics = app, jobs, submit, metrics
        self.scheduler: BackgroundScheduler | None = None
        self._lock = threading.Lock()

    def elected(self) -> None:
        with self._lock:
            if self.scheduler is not None:
                return
            settings = self.app.settings
            self.scheduler = build_scheduler(
                self.jobs.jobs, submit=self.submit, timezone=settings.organisation.timezone,
                misfire_grace=settings.service.misfire_grace, clock=self.app.pipeline.clock,
            )
            self.scheduler.start()
            self.metrics.leader.set(1)
            log.info("scheduler started: %d jobs", len(self.jobs.jobs))

    def lost(self) -> None:
        with self._lock:
            if self.scheduler is None:
                return
            # firings only enqueue, so not waiting for them cannot cut work short
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
            self.metrics.leader.set(0)
            log.info("scheduler stopped")

    def running(self) -> bool:
        with self._lock:
            return self.scheduler is not None and self.scheduler.running


def run_service(
    app: App,
    *,
    stop: threading.Event,
    health_port: int | None | Any = DEFAULT_PORT,
    jobs: JobSet | None = None,
    metrics: ServiceMetrics | None = None,
    instance: str | None = None,
    socket_mode: Callable[[], Closeable | None] | None = None,
    web: Callable[[], Closeable | None] | None = None,
    on_ready: Callable[[ServiceHandle], None] | None = None,
) -> RunReport:
    """Run until ``stop`` is set; raises AlreadyRunning when SQLite is in use by another run.

    ``web`` starts the console (monitor.web) once the service is up; it closes at shutdown."""
    service = app.settings.service
    clock = app.pipeline.clock
    instance = instance or instance_name()
    metrics = metrics or ServiceMetrics()
    lock = instance_lock(app)
    single = lock is not None
    # ingest runs are leased like the work that runs them: a killed instance's runs lapse
    # with its work and are marked interrupted (monitor.pipeline.ingest)
    app.pipeline = dataclasses.replace(
        app.pipeline, lease=RunLease(owner=instance, duration=service.work_lease)
    )
    queue = WorkQueue(
        app.sessions, owner=instance, lease=service.work_lease, clock=clock,
        renew_also=lambda session, until: renew_runs(session, owner=instance, until=until),
    )
    pool_ref: list[WorkerPool] = []

    def submit(works: list[Work]) -> int:
        added = queue.enqueue(works)
        if pool_ref:
            pool_ref[0].wake()
        return added

    def kick(job: str) -> None:
        submit([Work(key=job, job=job)])

    try:
        jobset = jobs if jobs is not None else build_jobs(app, metrics=metrics, kick=kick,
                                                          instance=instance)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    pool = WorkerPool(queue, jobs=jobset.by_name(), stop=stop, size=service.workers,
                      max_attempts=service.work_max_attempts, observer=metrics)
    pool_ref.append(pool)
    _observe_scoring(app, metrics)
    metrics.watch_database(app.sessions, clock)
    leadership = _Leadership(app, jobset, submit, metrics)
    election: PgLeaderElection | None = None
    closeables: list[Closeable] = []
    background = threading.Event()
    last_role = "single" if single else "follower"

    def role() -> str:
        if single:
            return "single"
        return "leader" if election is not None and election.is_leader else "follower"

    try:
        if single:
            freed = queue.release_all()
            if freed:
                log.info("took back %d work item(s) left claimed by the previous run", freed)
            leadership.elected()
        else:
            election = PgLeaderElection(
                app.engine.url, on_elected=leadership.elected, on_lost=leadership.lost,
                retry_seconds=service.leader_retry.total_seconds(),
            )
            election.start()
        port = service.health_port if health_port is DEFAULT_PORT else health_port
        bound = _start_health(app, pool, leadership, role, election, instance, metrics, port,
                              background, closeables)
        if socket_mode is not None:
            handle = socket_mode()
            if handle is not None:
                closeables.append(handle)
                log.info("Slack Socket Mode connected")
        if web is not None:
            console = web()
            if console is not None:
                closeables.append(console)
        pool.start()
        log.info("crisiswatch running as %s (%s): %d jobs, %d workers%s", role(), instance,
                 len(jobset.jobs), service.workers,
                 f", health on http://{service.health_host}:{bound}/healthz" if bound else "")
        if on_ready is not None:
            on_ready(ServiceHandle(instance, bound, metrics, queue, pool, role))
        stop.wait()
        last_role = role()
    finally:
        stop.set()
        log.info("stopping: finishing work in hand (up to %ss)",
                 int(service.shutdown_timeout.total_seconds()))
        leadership.lost()
        if election is not None:
            election.stop()
        unfinished = pool.join(service.shutdown_timeout.total_seconds())
        background.set()
        for closeable in reversed(closeables):
            _close(closeable)
        if not unfinished:
            jobset.close()
        if lock is not None:
            lock.release()
    keys = [item.key for item in unfinished]
    if keys:
        log.warning("stopped with work unfinished, handed back to the queue: %s", ", ".join(keys))
    else:
        log.info("stopped cleanly")
    return RunReport(role=last_role, clean=not keys, unfinished=keys)


def _observe_scoring(app: App, metrics: ServiceMetrics) -> None:
    """Feed the scoring histogram through the scoring step's own hook (it times the models)."""
    scoring = dataclasses.replace(app.scoring, observe_seconds=metrics.observe_scoring)
    app.scoring = scoring
    app.pipeline = dataclasses.replace(app.pipeline, score=scoring)


def _start_health(app: App, pool: WorkerPool, leadership: _Leadership,
                  role: Callable[[], str], election: PgLeaderElection | None, instance: str,
                  metrics: ServiceMetrics, port: int | None, stop: threading.Event,
                  closeables: list[Closeable]) -> int | None:
    if port is None:
        return None
    service = app.settings.service
    intervals = {s.id: effective_interval(s, service) for s in app.settings.sources if s.enabled}
    probe = HealthProbe(app.sessions, app.pipeline.clock, intervals)
    probe.refresh()
    threading.Thread(target=probe.run, args=(stop,), name="health-probe", daemon=True).start()
    status = ServiceStatus(
        instance=instance, role=role, scheduler_running=leadership.running,
        workers_alive=pool.alive, workers_expected=pool.size,
        busy=lambda: [item.key for item in pool.inflight()],
        leader_present=election.leader_present if election is not None else lambda: True,
    )
    server = HealthServer(host=service.health_host, port=port, probe=probe, status=status,
                          metrics=metrics.render).start()
    closeables.append(server)
    # workers start after the server: until then /healthz honestly reports them missing
    return server.port


def _close(closeable: Closeable) -> None:
    try:
        closeable.close()
    except Exception:  # noqa: BLE001 - one failing close must not stop the others
        log.exception("closing %s failed", type(closeable).__name__)


@dataclass
class OnceResult:
    """One job's unit of work in ``run_once``: not ok when it raised or reported a failure
    (``error`` says which), with its result kept either way."""

    job: str
    key: str
    ok: bool
    result: object = None
    error: str | None = None


def run_once(app: App, *, jobs: JobSet | None = None,
             metrics: ServiceMetrics | None = None) -> list[OnceResult]:
    """Every job once, in order (polls, inbox, escalation tick, dispatch), then return; scoring,
    incidents and spike detection run inside each ingest."""
    lock = instance_lock(app)
    jobset = jobs if jobs is not None else build_jobs(app, metrics=metrics)
    results: list[OnceResult] = []
    try:
        for kind in ONCE_ORDER:
            for job in jobset.of_kind(kind):
                for work in job.plan(app.pipeline.clock(), force=True):
                    results.append(_run_one(job.name, work, jobset))
    finally:
        jobset.close()
        if lock is not None:
            lock.release()
    return results


def _run_one(name: str, work: Work, jobset: JobSet) -> OnceResult:
    job = jobset.by_name()[name]
    with log_context(job=job.kind, work_key=work.key, **job.log_ids(work.payload)):
        try:
            result = job.run(work.payload)
        except Exception as exc:  # noqa: BLE001 - report and go on with the other jobs
            log.exception("%s failed", work.key)
            return OnceResult(job=name, key=work.key, ok=False, error=str(exc) or repr(exc))
    failure = step_failure(result)
    return OnceResult(job=name, key=work.key, ok=failure is None, result=result, error=failure)


def step_failure(result: object) -> str | None:
    """Why a step whose job returned still failed (a feed or file that could not be read,
    alerts dead-lettered), or None."""
    if isinstance(result, IngestStats):
        return result.error
    if isinstance(result, DispatchStats):
        return result.failure
    return None

