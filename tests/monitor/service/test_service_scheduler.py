"""The scheduler: one job per enabled source at its interval, coalesce / one instance / misfire
grace on every job, jitter bounded, backoff on consecutive failures, resume after a restart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from config.loader import ConfigError
from monitor.db.models import Source
from monitor.service.jobs import build_jobs, effective_interval
from monitor.service.scheduler import (
    Every,
    Job,
    build_scheduler,
    fire,
    is_due,
    jitter_for,
    missed_firing,
    next_poll_at,
    poll_delay,
)
from monitor.service.work import Work

SOURCES = """\
sources:
  - {id: breaking, kind: rss, url: feeds/a.xml, tier: 1}
  - {id: trade, kind: rss, url: feeds/b.xml, tier: 2, interval: 7m}
  - {id: forum, kind: rss, url: feeds/c.xml}
  - {id: archived, kind: rss, url: feeds/d.xml, enabled: false}
inbox: {path: INBOX}
service:
  tier_intervals: {1: 2m, 2: 20m, 3: 3h}
  jitter: 30s
  misfire_grace: 90s
  escalation_interval: 20s
  dispatch_interval: 3s
  digest_cron: "0 8 * * mon"
"""


def _scheduled(app: Any) -> dict[str, Any]:
    jobs = build_jobs(app)
    scheduler = build_scheduler(jobs.jobs, submit=lambda works: None,
                                timezone=app.settings.organisation.timezone,
                                misfire_grace=app.settings.service.misfire_grace,
                                clock=app.pipeline.clock)
    scheduler.start(paused=True)
    try:
        return {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
        jobs.close()


def test_one_job_per_enabled_source_at_its_interval_with_coalesce_and_grace(
    write_config: Callable[[str], Any], open_app: Callable[..., Any], tmp_path: Path
) -> None:
    app = open_app(write_config(SOURCES.replace("INBOX", str(tmp_path / "inbox"))))
    jobs = _scheduled(app)
    polls = {name: job for name, job in jobs.items() if name.startswith("poll:")}
    assert sorted(polls) == ["poll:breaking", "poll:forum", "poll:trade"]
    intervals = {name: job.trigger.interval for name, job in polls.items()}
    assert intervals == {
        "poll:breaking": timedelta(minutes=2),  # tier 1 default
        "poll:trade": timedelta(minutes=7),  # the source's own interval wins over its tier
        "poll:forum": timedelta(hours=3),  # tier 3 (the schema default) by tier
    }
    # jitter: the configured 30s, but never above a tenth of the interval
    assert polls["poll:breaking"].trigger.jitter == 12
    assert polls["poll:forum"].trigger.jitter == 30
    assert {"inbox", "escalation", "dispatch", "retention"} <= set(jobs)
    assert jobs["escalation"].trigger.interval == timedelta(seconds=20)
    assert jobs["dispatch"].trigger.interval == timedelta(seconds=3)
    assert isinstance(jobs["retention"].trigger, CronTrigger)
    for job in jobs.values():
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == 90
    for name in ("inbox", "escalation", "dispatch", *polls):
        assert isinstance(jobs[name].trigger, IntervalTrigger)
    digest = jobs["digest"].trigger
    assert isinstance(digest, CronTrigger) and str(digest.timezone) == "Europe/London"
    monday = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Europe/London"))
    assert digest.get_next_fire_time(None, monday - timedelta(days=1)) == monday


def test_digest_is_keyed_by_week_and_caught_up_after_downtime(
    write_config: Callable[[str], Any], open_app: Callable[..., Any], tmp_path: Path
) -> None:
    app = open_app(write_config(SOURCES.replace("INBOX", str(tmp_path / "inbox"))))
    jobs = build_jobs(app)
    digest = jobs.by_name()["digest"]
    jobs.close()
    wednesday = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert digest.plan(wednesday) == [Work(key="digest:2026-W47", job="digest",
                                           payload={"week": "2026-W47"})]
    assert digest.keep_done  # a week's digest is sent once, whoever runs it, however often
    # Monday 08:00 London was missed: a start at 10:00 fires it once; a Wednesday start does not
    assert missed_firing(digest, datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    assert not missed_firing(digest, wednesday)


def test_tier_defaults_and_explicit_interval(
    write_config: Callable[[str], Any], tmp_path: Path
) -> None:
    loaded = write_config(SOURCES.replace("INBOX", str(tmp_path / "inbox")))
    service = loaded.settings.service
    by_id = {s.id: s for s in loaded.settings.sources}
    assert effective_interval(by_id["breaking"], service) == timedelta(minutes=2)
    assert effective_interval(by_id["trade"], service) == timedelta(minutes=7)


def test_bad_digest_cron_is_a_config_error(write_config: Callable[[str], Any]) -> None:
    with pytest.raises(ConfigError) as info:
        write_config('service: {digest_cron: "0 8 * * 1"}\n')
    assert "service.digest_cron" in info.value.problems[0]
    assert "mon..sun" in info.value.problems[0]


def test_backoff_doubles_per_failure_up_to_the_cap() -> None:
    five = timedelta(minutes=5)
    cap = timedelta(hours=1)
    assert poll_delay(five, 0, cap) == five
    assert poll_delay(five, 1, cap) == timedelta(minutes=10)
    assert poll_delay(five, 3, cap) == timedelta(minutes=40)
    assert poll_delay(five, 4, cap) == cap
    assert poll_delay(five, 500, cap) == cap
    # a cap below the interval never makes a failing source poll more often than a healthy one
    assert poll_delay(timedelta(hours=2), 3, cap) == timedelta(hours=2)
    assert jitter_for(timedelta(minutes=1), timedelta(seconds=30)) == timedelta(seconds=6)


def test_failing_source_is_skipped_until_its_backoff_has_passed(
    write_config: Callable[[str], Any], open_app: Callable[..., Any], tmp_path: Path
) -> None:
    app = open_app(write_config(SOURCES.replace("INBOX", str(tmp_path / "inbox"))))
    jobs = build_jobs(app).by_name()
    poll = jobs["poll:breaking"]  # every 2m, jitter 12s: slack 12s + 12s
    t0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert poll.plan(t0) == [Work(key="poll:breaking", job="poll:breaking")]  # never polled
    with app.sessions.begin() as session:
        session.add(Source(id="breaking", kind="rss", location="x", created_at=t0,
                           last_polled_at=t0, consecutive_failures=3))
    # 3 failures: 2m x 8 = 16m
    assert poll.plan(t0 + timedelta(minutes=2)) == []
    assert poll.plan(t0 + timedelta(minutes=15)) == []
    assert poll.plan(t0 + timedelta(minutes=16)) != []
    assert poll.plan(t0 + timedelta(minutes=2), force=True) != []  # run --once ignores backoff
    with app.sessions.begin() as session:
        row = session.get(Source, "breaking")
        assert row is not None
        row.consecutive_failures = 0
    assert poll.plan(t0 + timedelta(minutes=1)) == []
    assert poll.plan(t0 + timedelta(minutes=2)) != []


def test_restart_resumes_the_stored_schedule() -> None:
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    hour = timedelta(hours=1)
    last = now - timedelta(minutes=20)
    first = next_poll_at(now=now, last_polled_at=last, delay=hour, jitter=timedelta(0))
    assert first == last + hour  # not an hour after the restart, not at once
    overdue = next_poll_at(now=now, last_polled_at=now - 3 * hour, delay=hour,
                           jitter=timedelta(seconds=10))
    assert now <= overdue <= now + timedelta(seconds=10)
    assert is_due(now=now, last_polled_at=None, delay=hour, slack=timedelta(0))


def test_a_firing_that_fails_is_logged_and_waits_for_the_next(
    caplog: pytest.LogCaptureFixture,
) -> None:
    submitted: list[list[Work]] = []

    def broken(now: datetime, force: bool) -> list[Work]:
        raise RuntimeError("database is down")

    job = Job(name="poll:x", kind="poll", trigger=Every(timedelta(minutes=1)),
              action=lambda payload: None, planner=broken)
    fire(job, submitted.append, lambda: datetime.now(UTC))
    assert submitted == []
    assert "scheduling poll:x failed" in caplog.text
    ok = Job(name="tick", kind="escalation", trigger=Every(timedelta(seconds=5)),
             action=lambda payload: None)
    fire(ok, submitted.append, lambda: datetime.now(UTC))
    assert submitted == [[Work(key="tick", job="tick")]]
