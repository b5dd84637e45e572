"""The service's jobs, all registered here and nowhere else.

``build_jobs`` composes each job from the application (its sessions, pipeline, settings and the
incidents / dispatch / digest functions): a poll per enabled source at its own interval (by
tier unless the source sets one, backing off on failures), the inbox folder, the escalation
tick (which also posts recovery updates), the outbox dispatch, the scheduled reports (the
weekly digest on `service.digest_cron`, and `reports.schedule`: daily, monthly...) and the
retention clean-up. Volume spikes are detected as mentions are ingested (in the ingest
transaction), so they need no job of their own. Each job is a plain callable over plain values;
the scheduler decides when, the work queue decides who.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from config.schema import Inbox, ReportSettings, ServiceSettings, SourceSettings
from monitor.alerting.channels import build_channel_set, dispatch_policy
from monitor.alerting.dispatch import dispatch_once
from monitor.app import App
from monitor.collectors.inbox import move_failed, ready_files
from monitor.db.engine import storage_folder
from monitor.db.models import Source as SourceRow
from monitor.digest.period import iso_week, last_full, last_full_week, period_at
from monitor.digest.run import build_and_write_digest, run_report, send_digest
from monitor.incidents.tick import tick_escalations
from monitor.pipeline.collect import ingest_inbox_file
from monitor.pipeline.ingest import IngestStats
from monitor.service.metrics import ServiceMetrics
from monitor.service.retention import purge_older_than
from monitor.service.scheduler import (
    Cron,
    Every,
    Job,
    is_due,
    jitter_for,
    next_poll_at,
    poll_delay,
)
from monitor.service.work import Work

log = logging.getLogger(__name__)

# scoring, incident grouping and spike detection happen inside each ingest
ONCE_ORDER = ("poll", "inbox", "escalation", "dispatch")
DISPATCH_LIMIT = 100
DISPATCH_ROUNDS = 20
DIGEST_CATCH_UP = timedelta(days=1)
Kick = Callable[[str], None]


@dataclass
class JobSet:
    """The registered jobs and the per-process resources they hold (closed at shutdown)."""

    jobs: list[Job]
    closers: list[Callable[[], None]] = field(default_factory=list)

    def by_name(self) -> dict[str, Job]:
        """Jobs by name (what work items refer to)."""
        return {job.name: job for job in self.jobs}

    def of_kind(self, kind: str) -> list[Job]:
        """Jobs of one kind, in registration order."""
        return [job for job in self.jobs if job.kind == kind]

    def close(self) -> None:
        """Release what the jobs hold (alert channel connections)."""
        for closer in self.closers:
            try:
                closer()
            except Exception:  # noqa: BLE001 - closing must not hide the shutdown outcome
                log.exception("closing a job resource failed")


def effective_interval(source: SourceSettings, service: ServiceSettings) -> timedelta:
    """The source's own ``interval`` when set, else its tier's."""
    if "interval" in source.model_fields_set:
        own: timedelta = source.interval
        return own
    return service.tier_intervals[source.tier]


def build_jobs(
    app: App,
    *,
    metrics: ServiceMetrics | None = None,
    kick: Kick | None = None,
    instance: str = "crisiswatch",
) -> JobSet:
    """Every job of this configuration: the one registry of the service's work."""
    settings = app.settings
    service = settings.service
    clock = app.pipeline.clock
    tz = settings.organisation.timezone
    jobs = JobSet([])
    for source in settings.sources:
        if source.enabled:
            jobs.jobs.append(poll_job(app, source, service, metrics=metrics, kick=kick))
    if settings.inbox is not None:
        jobs.jobs.append(inbox_job(app, settings.inbox, service, metrics=metrics, kick=kick))
    jobs.jobs.append(escalation_job(app, service, clock=clock, metrics=metrics, kick=kick))
    jobs.jobs.append(dispatch_job(app, service, clock=clock, metrics=metrics, instance=instance,
                                  closers=jobs.closers))
    for report in settings.scheduled_reports():
        if report.name == "digest" and report.kind == "week":
            jobs.jobs.append(digest_job(app, report.schedule, clock=clock, timezone=tz))
        else:
            jobs.jobs.append(report_job(app, report, clock=clock, timezone=tz))
    if service.retention_days is not None:
        jobs.jobs.append(retention_job(app, service, clock=clock, timezone=tz))
    return jobs


def poll_job(app: App, source: SourceSettings, service: ServiceSettings, *,
             metrics: ServiceMetrics | None, kick: Kick | None) -> Job:
    """Poll one source at its interval; after failures, wait longer (doubling, capped)."""
    interval = effective_interval(source, service)
    jitter = jitter_for(interval, service.jitter)
    slack = jitter + interval / 10
    name = f"poll:{source.id}"

    def state() -> tuple[datetime | None, int]:
        with app.sessions() as session:
            row = session.get(SourceRow, source.id)
            return (row.last_polled_at, row.consecutive_failures or 0) if row else (None, 0)

    def delay(failures: int) -> timedelta:
        return poll_delay(interval, failures, service.backoff_max)

    def planner(now: datetime, force: bool) -> list[Work]:
        if not force:
            last, failures = state()
            if not is_due(now=now, last_polled_at=last, delay=delay(failures), slack=slack):
                return []
        return [Work(key=name, job=name)]

    def first_run(now: datetime) -> datetime:
        last, failures = state()
        return next_poll_at(now=now, last_polled_at=last, delay=delay(failures), jitter=jitter)

    def action(payload: Mapping[str, Any]) -> IngestStats:
        stats = app.poll_source(source)
        _after_ingest(stats, source.id, metrics, kick)
        return stats

    return Job(name=name, kind="poll", trigger=Every(interval, jitter), action=action,
               planner=planner, first_run=first_run, ids={"source_id": source.id})


def inbox_job(app: App, inbox: Inbox, service: ServiceSettings, *,
              metrics: ServiceMetrics | None, kick: Kick | None) -> Job:
    """Scan the inbox folder; each settled file is one unit of work (ingested, then moved)."""

    def planner(now: datetime, force: bool) -> list[Work]:
        storage_folder(inbox.path, what="the inbox folder")
        files = ready_files(inbox=inbox.path, now=time.time(),
                            settle_seconds=inbox.settle.total_seconds())
        return [Work(key=f"inbox:{path.name}", job="inbox", payload={"path": str(path)})
                for path in files]

    def action(payload: Mapping[str, Any]) -> IngestStats | None:
        path = Path(str(payload["path"]))
        if not path.is_file():
            log.info("inbox file %s is gone (already processed)", path.name)
            return None
        moved, stats = ingest_inbox_file(app.pipeline, path=path, parent=inbox.source_id,
                                         preset=inbox.preset)
        log.info("inbox file %s (source %s): new %d, duplicate %d, rejected %d -> %s",
                 path.name, stats.source_id, stats.new, stats.duplicate, stats.rejected,
                 moved.parent.name)
        _after_ingest(stats, inbox.source_id, metrics, kick)
        return stats

    def abandon(payload: Mapping[str, Any], reason: str) -> None:
        path = Path(str(payload["path"]))
        if path.is_file():
            move_failed(path=path, reason=reason)

    return Job(name="inbox", kind="inbox", trigger=Every(service.inbox_interval), action=action,
               planner=planner, ids={"source_id": inbox.source_id}, on_abandon=abandon)


def escalation_job(app: App, service: ServiceSettings, *, clock: Callable[[], datetime],
                   metrics: ServiceMetrics | None, kick: Kick | None) -> Job:
    """Send every escalation step that is due (timers are stored on the incidents)."""
    ctx = app.incidents

    def action(payload: Mapping[str, Any]) -> object:
        with app.sessions.begin() as session:
            result = tick_escalations(session, ctx=ctx, now=clock())
        if result.alerts or result.suppressed:
            log.info("escalation tick: %d incident(s), %d alert(s) queued, %d suppressed, "
                     "%d recovered", result.incidents, result.alerts, result.suppressed,
                     result.recoveries)
        if metrics is not None:
            metrics.escalations.inc(result.alerts)
        if result.alerts and kick is not None:
            kick("dispatch")
        return result

    return Job(name="escalation", kind="escalation", trigger=Every(service.escalation_interval),
               action=action)


def dispatch_job(app: App, service: ServiceSettings, *, clock: Callable[[], datetime],
                 metrics: ServiceMetrics | None, instance: str,
                 closers: list[Callable[[], None]]) -> Job:
    """Send the outbox: rounds of up to 100 alerts until it is drained (or 20 rounds)."""
    channels = build_channel_set(app.settings)
    closers.append(channels.close)
    # Only one dispatch work item runs at a time and its lease is renewed while it runs, so a
    # row's own lease only matters after a crash: keep it as short as the work lease.
    policy = dataclasses.replace(dispatch_policy(app.settings), lease=service.work_lease)

    def action(payload: Mapping[str, Any]) -> object:
        total = None
        for _ in range(DISPATCH_ROUNDS):
            stats = dispatch_once(sessions=app.sessions, channels=channels, policy=policy,
                                  clock=clock, worker_id=instance, limit=DISPATCH_LIMIT)
            if metrics is not None:
                metrics.record_dispatch(stats)
            total = stats if total is None else total + stats
            if stats.claimed < DISPATCH_LIMIT:
                break
        if total is not None and (total.sent or total.dead or total.retried):
            log.info("dispatch: sent %d, retried %d, dead %d", total.sent, total.retried,
                     total.dead)
        return total

    return Job(name="dispatch", kind="dispatch", trigger=Every(service.dispatch_interval),
               action=action)


def drill_rounds(app: App, *, clock: Callable[[], datetime],
                 closers: list[Callable[[], None]]) -> Callable[[], None]:
    """A drill's round: the escalation job, then the dispatch job, each run once."""
    service = app.settings.service
    escalate = escalation_job(app, service, clock=clock, metrics=None, kick=None)
    dispatch = dispatch_job(app, service, clock=clock, metrics=None, instance="drill",
                            closers=closers)

    def run() -> None:
        escalate.action({})
        dispatch.action({})

    return run


def digest_job(app: App, cron: str, *, clock: Callable[[], datetime], timezone: str) -> Job:
    """Write and send the digest of the last full week, once per week (keyed by the week)."""

    def planner(now: datetime, force: bool) -> list[Work]:
        week = last_full_week(now=now, tz=timezone).week
        return [Work(key=f"digest:{week}", job="digest", payload={"week": week})]

    def action(payload: Mapping[str, Any]) -> object:
        period = iso_week(week=str(payload["week"]), tz=timezone)
        output = build_and_write_digest(app=app, now=clock(), period=period)
        results = send_digest(app=app, output=output, now=clock())
        for result in results:
            if result.ok:
                log.info("digest %s sent to %s", period.label, result.channel)
            else:
                log.warning("digest %s not sent to %s: %s", period.label, result.channel,
                            result.detail)
        return {"week": period.label, "files": len(output.files),
                "sent": sum(r.ok for r in results), "failed": sum(not r.ok for r in results)}

    return Job(name="digest", kind="digest", trigger=Cron(cron, timezone), action=action,
               planner=planner, keep_done=True, catch_up=DIGEST_CATCH_UP)


def report_job(app: App, report: ReportSettings, *, clock: Callable[[], datetime],
               timezone: str) -> Job:
    """Write and send a scheduled report of the last full period of its kind, once per period
    (keyed by the report's name and the period)."""
    name = f"report:{report.report_name}"

    def planner(now: datetime, force: bool) -> list[Work]:
        period = last_full(kind=report.kind, now=now, tz=timezone)
        return [Work(key=f"{name}:{period.label}", job=name,
                     payload={"kind": report.kind, "first": period.first.isoformat()})]

    def action(payload: Mapping[str, Any]) -> object:
        period = period_at(kind=str(payload["kind"]), at=str(payload["first"]), tz=timezone)
        output, results = run_report(app=app, report=report, period=period, now=clock())
        for result in results:
            if result.ok:
                log.info("%s %s sent to %s", name, period.label, result.channel)
            else:
                log.warning("%s %s not sent to %s: %s", name, period.label, result.channel,
                            result.detail)
        return {"period": period.label, "files": len(output.files),
                "sent": sum(r.ok for r in results), "failed": sum(not r.ok for r in results)}

    return Job(name=name, kind="digest", trigger=Cron(report.schedule, timezone), action=action,
               planner=planner, keep_done=True, catch_up=DIGEST_CATCH_UP)


def retention_job(app: App, service: ServiceSettings, *, clock: Callable[[], datetime],
                  timezone: str) -> Job:
    """Delete old mentions, closed incidents and settled alerts (see monitor.service.retention)."""
    assert service.retention_days is not None
    keep = timedelta(days=service.retention_days)
    spike = app.settings.incidents.spike
    volume_keep = max(keep, spike.baseline + spike.interval)

    def action(payload: Mapping[str, Any]) -> object:
        now = clock()
        return purge_older_than(app.sessions, cutoff=now - keep, volume_cutoff=now - volume_keep)

    return Job(name="retention", kind="retention",
               trigger=Cron(service.retention_cron, timezone), action=action)


def _after_ingest(stats: IngestStats, source_id: str, metrics: ServiceMetrics | None,
                  kick: Kick | None) -> None:
    if metrics is not None:
        metrics.record_ingest(stats)
    for warning in stats.warnings:
        log.warning("collected %s with warnings: %s", source_id, warning)
    if stats.error:
        log.warning("collect failed: %s", stats.error)
    elif stats.new:
        log.info("collected: new %d, duplicate %d, unmatched %d, rejected %d", stats.new,
                 stats.duplicate, stats.unmatched, stats.rejected)
    if stats.new and kick is not None:
        # new mentions may have opened incidents whose first alerts wait in the outbox
        kick("dispatch")
