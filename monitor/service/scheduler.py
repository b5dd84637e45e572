"""When work is due: the job type, poll backoff, and the APScheduler that fires the jobs.

The scheduler runs on the leader only and never does work itself: each firing asks the job
for its due work (``Job.plan``) and hands it to ``submit`` (the work queue). Every job is
registered with coalesce on, one instance at a time and a misfire grace time, so a scheduler
that was busy or asleep fires a late job once, not once per missed interval.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.service.work import Work

log = logging.getLogger(__name__)

MAX_DOUBLINGS = 20
ZERO = timedelta(0)


@dataclass(frozen=True)
class Every:
    """Fire every ``interval``, with up to ``jitter`` added to each firing."""

    interval: timedelta
    jitter: timedelta = timedelta(0)


@dataclass(frozen=True)
class Cron:
    """Fire on a crontab (``0 8 * * mon``) in ``timezone``."""

    expr: str
    timezone: str


Trigger = Every | Cron
Planner = Callable[[datetime, bool], Sequence[Work]]


@dataclass(frozen=True)
class Job:
    """A registered job: when it fires, what work is due, and how to do one unit of it."""

    name: str  # unique; the APScheduler job id and the work items' ``job``
    kind: str  # poll, inbox, spikes, escalation, dispatch, digest, retention (metric label)
    trigger: Trigger
    action: Callable[[Mapping[str, Any]], object]
    planner: Planner | None = None  # default: one unit keyed by the job name
    first_run: Callable[[datetime], datetime] | None = None  # default: at once
    ids: Mapping[str, object] = field(default_factory=dict)  # log ids, e.g. source_id
    on_abandon: Callable[[Mapping[str, Any], str], None] | None = None
    keep_done: bool = False  # finished work keeps its key, so the same key never runs again
    catch_up: timedelta | None = None  # cron: fire at start if a firing was missed this recently

    def run(self, payload: Mapping[str, Any]) -> object:
        """Do one unit of this job's work."""
        return self.action(payload)

    def plan(self, now: datetime, *, force: bool = False) -> list[Work]:
        """The work due now (``force``: due regardless of backoff, for ``run --once``)."""
        if self.planner is None:
            return [Work(key=self.name, job=self.name)]
        return list(self.planner(now, force))

    def log_ids(self, payload: Mapping[str, Any]) -> dict[str, object]:
        """Ids for every log line of this work."""
        return dict(self.ids)

    def abandon(self, payload: Mapping[str, Any], reason: str) -> None:
        """Clean up after this job's work was set aside as dead."""
        if self.on_abandon is not None:
            self.on_abandon(payload, reason)


def poll_delay(interval: timedelta, failures: int, cap: timedelta) -> timedelta:
    """Wait before the next poll: the interval, doubled per consecutive failure, up to ``cap``."""
    if failures <= 0:
        return interval
    return min(interval * (1 << min(failures, MAX_DOUBLINGS)), max(cap, interval))


def jitter_for(interval: timedelta, jitter: timedelta) -> timedelta:
    """The configured jitter, never above a tenth of the interval."""
    return min(jitter, interval / 10)


def is_due(*, now: datetime, last_polled_at: datetime | None, delay: timedelta,
           slack: timedelta) -> bool:
    """Due when never polled, or ``delay`` (less ``slack`` for timer drift) has passed."""
    return last_polled_at is None or now - last_polled_at >= delay - slack


def next_poll_at(*, now: datetime, last_polled_at: datetime | None, delay: timedelta,
                 jitter: timedelta, rng: random.Random | None = None) -> datetime:
    """When to poll first after a (re)start: when the stored schedule says, never in the past."""
    spread = timedelta(seconds=(rng or random).uniform(0, jitter.total_seconds()))
    due = now if last_polled_at is None else max(now, last_polled_at + delay)
    return due + spread


def make_trigger(trigger: Trigger, *, start: datetime | None = None) -> Any:
    """The APScheduler trigger for ``trigger``."""
    if isinstance(trigger, Cron):
        return CronTrigger.from_crontab(trigger.expr, timezone=ZoneInfo(trigger.timezone))
    return IntervalTrigger(
        seconds=trigger.interval.total_seconds(),
        jitter=int(trigger.jitter.total_seconds()) or None,
        start_date=start,
        timezone=UTC,
    )


def build_scheduler(
    jobs: Sequence[Job],
    *,
    submit: Callable[[list[Work]], object],
    timezone: str,
    misfire_grace: timedelta,
    clock: Callable[[], datetime],
) -> BackgroundScheduler:
    """A scheduler (not started) with one APScheduler job per registered job."""
    scheduler = BackgroundScheduler(
        timezone=ZoneInfo(timezone),
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": int(misfire_grace.total_seconds()) or 1},
    )
    now, real_now = clock(), datetime.now(UTC)
    for job in jobs:
        # first runs are worked out on the application's clock, fired on the real one
        start = real_now + (job.first_run(now) - now if job.first_run is not None else ZERO)
        trigger = make_trigger(job.trigger, start=start)
        extra: dict[str, Any] = {}
        if isinstance(job.trigger, Every):
            # the first firing at ``start`` itself (the interval trigger would wait one interval)
            extra["next_run_time"] = start
        scheduler.add_job(
            fire, trigger, args=(job, submit, clock), id=job.name, name=job.name,
            coalesce=True, max_instances=1,
            misfire_grace_time=int(misfire_grace.total_seconds()) or 1,
            replace_existing=True, **extra,
        )
        if missed_firing(job, real_now):
            # the service was down when it should have fired (a digest): fire once at start
            scheduler.add_job(
                fire, DateTrigger(run_date=real_now), args=(job, submit, clock),
                id=f"{job.name}:catch-up", name=f"{job.name} (catch-up)",
                misfire_grace_time=int(misfire_grace.total_seconds()) or 1,
            )
    return scheduler


def missed_firing(job: Job, now: datetime) -> bool:
    """True when a cron job with ``catch_up`` should have fired within that time before now."""
    if not isinstance(job.trigger, Cron) or job.catch_up is None:
        return False
    previous = make_trigger(job.trigger).get_next_fire_time(None, now - job.catch_up)
    return previous is not None and previous <= now


def fire(job: Job, submit: Callable[[list[Work]], object], clock: Callable[[], datetime]) -> None:
    """One firing: plan the job's due work and submit it; a failure waits for the next firing."""
    try:
        works = job.plan(clock())
        if works:
            submit(works)
    except Exception:  # noqa: BLE001 - the scheduler thread must survive a database outage
        log.exception("scheduling %s failed; it will be tried at its next firing", job.name)
