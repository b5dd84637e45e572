"""Scheduled reports: `reports.schedule` jobs, once per period, to their own audience; the
weekly digest on `service.digest_cron` keeps working; configuration mistakes are one line."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from config.loader import ConfigError
from monitor.service.jobs import build_jobs
from monitor.service.scheduler import missed_firing
from monitor.service.work import Work

REPORTS = """\
channels:
  console: {kind: console}
  team-chat: {kind: console}
reports:
  backfill_after: 1d
  schedule:
    - {kind: day, channels: [team-chat], formats: [json]}
    - {kind: month, name: leaders, cron: "0 7 1 * *", channels: []}
    - {kind: quarter, formats: [md]}
"""


def test_each_report_is_a_job_keyed_by_its_period(
    write_config: Callable[[str], Any], open_app: Callable[..., Any]
) -> None:
    app = open_app(write_config(REPORTS))
    jobs = build_jobs(app)
    by_name = jobs.by_name()
    jobs.close()
    assert {"digest", "report:day", "report:leaders", "report:quarter"} <= set(by_name)
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # Wednesday, Europe/London
    assert by_name["report:day"].plan(now) == [
        Work(
            key="report:day:2026-11-24",
            job="report:day",
            payload={"kind": "day", "first": "2026-11-24"},
        )
    ]
    assert by_name["report:leaders"].plan(now)[0].key == "report:leaders:2026-10"
    assert by_name["report:quarter"].plan(now)[0].key == "report:quarter:2026-Q3"
    assert by_name["digest"].plan(now)[0].key == "digest:2026-W47"  # the weekly, as before
    assert all(by_name[n].keep_done for n in ("report:day", "report:leaders"))
    # the day's summary was due at 09:00 London; a start at 10:00 sends it once
    assert missed_firing(by_name["report:day"], datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    assert app.settings.reports.backfill_after.total_seconds() == 86400


def test_daily_report_job_writes_its_files_and_posts_to_its_audience(
    write_config: Callable[[str], Any],
    open_app: Callable[..., Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = open_app(write_config(REPORTS), clock=lambda: datetime(2026, 11, 25, 10, tzinfo=UTC))
    jobs = build_jobs(app)
    day, month = jobs.by_name()["report:day"], jobs.by_name()["report:leaders"]
    try:
        done = day.action({"kind": "day", "first": "2026-11-24"})
        printed = capsys.readouterr().out
        quiet = month.action({"kind": "month", "first": "2026-10-01"})
    finally:
        jobs.close()
    assert done == {"period": "2026-11-24", "files": 1, "sent": 1, "failed": 0}
    data = json.loads((tmp_path / "data" / "digests" / "digest-2026-11-24.json").read_text())
    assert data["meta"]["kind"] == "day" and data["meta"]["previous"]["label"] == "2026-11-23"
    assert "Daily summary 2026-11-24" in printed
    assert "Mentions: 0 (yesterday 0, +0)" in printed
    assert "Incidents started: 0; open now: 0" in printed
    assert "SLA breaches: 0 acknowledgement, 0 first response" in printed
    assert quiet == {"period": "2026-10", "files": 3, "sent": 0, "failed": 0}  # channels: []


def test_a_week_report_replaces_digest_cron(
    write_config: Callable[[str], Any], open_app: Callable[..., Any]
) -> None:
    loaded = write_config('reports:\n  schedule:\n    - {kind: week, cron: "0 7 * * tue"}\n')
    (weekly,) = loaded.settings.scheduled_reports()
    assert (weekly.report_name, weekly.schedule) == ("week", "0 7 * * tue")
    off = write_config("service: {digest_cron: null}\n")
    assert off.settings.scheduled_reports() == ()
    legacy = write_config('service: {digest_cron: "0 6 * * fri"}\n')
    (digest,) = legacy.settings.scheduled_reports()
    assert (digest.report_name, digest.kind, digest.schedule) == ("digest", "week", "0 6 * * fri")


@pytest.mark.parametrize(
    "body,message",
    [
        (
            "reports:\n  schedule:\n    - {kind: day, channels: [nope]}\n",
            "reports: schedule[0].channels: unknown channel 'nope' (configured: console)",
        ),
        (
            'service: {digest_cron: "0 8 * * mon"}\nreports:\n  schedule:\n    - {kind: week}\n',
            "service.digest_cron and a week report in reports.schedule both schedule",
        ),
        (
            "reports:\n  schedule:\n    - {kind: day}\n    - {kind: day}\n",
            "two reports named 'day'",
        ),
        (
            "reports:\n  schedule:\n    - {kind: fortnight}\n",
            "reports.schedule[0].kind: Input should be 'day'",
        ),
        ('reports:\n  schedule:\n    - {kind: day, cron: "0 9 * * 1"}\n', "mon..sun"),
        ("reports:\n  schedule:\n    - {kind: day, formats: [pdf]}\n", "formats"),
        ("reports: {backfill_after: 0s}\n", "reports.backfill_after"),
    ],
)
def test_report_configuration_mistakes_are_one_line(
    write_config: Callable[[str], Any], body: str, message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        write_config("channels:\n  console: {kind: console}\n" + body)
    assert message in info.value.problems[0], info.value.problems
