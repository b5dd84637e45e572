"""``crisiswatch digest --period day|week|month|quarter|year [--at]`` and the daily summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from sqlalchemy.orm import Session

from monitor.cli import digest as cli_digest
from monitor.cli.common import Context
from monitor.digest.daily import daily_lines
from monitor.digest.figures import build_digest
from monitor.digest.labels import Labels
from monitor.digest.period import period_at

CONFIG = """\
version: 1
organisation: {name: Lumina Dairy, timezone: Asia/Shanghai, locale: LOCALE}
storage: {data_dir: data}
entities:
  - {id: lumina, name: Lumina Dairy, kind: brand, aliases: [澜沐乳业, 澜沐, LuminaDairy]}
  - {id: northfield, name: Northfield Milk, kind: competitor, aliases: [北原牧场]}
channels:
  console: {kind: console}
"""


def run(tmp_path: Path, week: Any, *args: str, locale: str = "en") -> Result:
    config = tmp_path / "crisiswatch.yaml"
    config.write_text(CONFIG.replace("LOCALE", locale), encoding="utf-8")
    context = Context(str(config), f"sqlite:///{week.path}")
    return CliRunner().invoke(cli_digest.digest, list(args), obj=context)


def test_daily_summary_is_a_few_lines_to_chat(tmp_path: Path, week: Any) -> None:
    result = run(
        tmp_path,
        week,
        "--period",
        "day",
        "--at",
        "2026-11-10",
        "--format",
        "json",
        "--out",
        str(tmp_path),
        "--send",
        "--channel",
        "console",
    )
    assert result.exit_code == 0, result.output
    assert "sent console (console): daily summary sent" in result.output
    assert "Daily summary 2026-11-10 — Lumina Dairy" in result.output
    assert "Mentions: " in result.output and "(yesterday " in result.output
    assert "Negative share: " in result.output and "Incidents started: " in result.output
    assert (tmp_path / "digest-2026-11-10.json").is_file()


def test_month_quarter_and_year_reports_by_name(tmp_path: Path, week: Any) -> None:
    for at, kind, stem, title in (
        ("2026-11", "month", "digest-2026-11", "Monthly report"),
        ("2026-Q4", "quarter", "digest-2026-Q4", "Quarterly report"),
        ("2026-11-10", "year", "digest-2026", "Yearly report"),
    ):
        result = run(
            tmp_path, week, "--period", kind, "--at", at, "--format", "md", "--out", str(tmp_path)
        )
        assert result.exit_code == 0, result.output
        text = (tmp_path / f"{stem}.md").read_text(encoding="utf-8")
        assert text.startswith(f"# {title} — Lumina Dairy")
    month = (tmp_path / "digest-2026-11.md").read_text(encoding="utf-8")
    assert (
        "compared with 2026-10" in month and "Mentions count by when they were published" in month
    )


def test_period_options_are_checked_in_one_line(tmp_path: Path, week: Any) -> None:
    for args, message in (
        (["--period", "month", "--at", "2026-13"], "--at: expected a day like 2026-11-16"),
        (["--at", "2026-11-10"], "--at goes with --period"),
        (["--period", "day", "--week", "2026-W46"], "give either --period or --week, not both"),
    ):
        result = run(tmp_path, week, *args, "--out", str(tmp_path))
        assert result.exit_code == 1 and message in result.output, result.output


def test_daily_lines_in_chinese_match_the_figures(week: Any) -> None:
    period = period_at(kind="day", at="2026-11-10", tz="Asia/Shanghai")
    with Session(week.engine) as session:
        digest = build_digest(session=session, inputs=week.inputs, period=period, now=week.now)
    h = digest.headline
    assert digest.meta.previous.label == "2026-11-09"
    lines = daily_lines(digest, Labels("zh", "Asia/Shanghai"))
    assert lines[0].startswith(
        f"提及：{h.mentions.current:,.0f}条（昨日{h.mentions.previous:,.0f}条"
    )
    assert lines[1].startswith("负面占比：")
    open_now = sum(n for _, n in digest.open_items.open_by_grade)
    assert f"当前未结：{open_now:,}" in lines[2] and open_now > 0
    assert lines[3].startswith(f"超出SLA：确认{h.sla_breaches.current:,.0f}次")


def test_daily_summary_to_slack_is_one_message_without_a_file(week: Any) -> None:
    from alerts.testing import FakeSlackServer
    from monitor.digest.charts import render_charts
    from monitor.digest.run import render_document
    from monitor.digest.send import ChannelTarget, send_digest_document

    period = period_at(kind="day", at="2026-11-10", tz="Asia/Shanghai")
    with Session(week.engine) as session:
        digest = build_digest(session=session, inputs=week.inputs, period=period, now=week.now)
    labels = Labels("zh", "Asia/Shanghai")
    document = render_document(
        digest,
        charts=render_charts(digest, labels),
        labels=labels,
        filename="digest-2026-11-10.html",
    )
    with FakeSlackServer() as slack:
        target = ChannelTarget("chat", "slack", {"channel": "#risk", "base_url": slack.base_url})
        [result] = send_digest_document(
            document, targets=[target], environ={"SLACK_BOT_TOKEN": "xoxb-test"}, now=week.now
        )
        [post] = slack.calls("chat.postMessage")
        assert not slack.calls("files.completeUploadExternal")
    assert result.ok and result.detail == "daily summary posted"
    blocks = post.params["blocks"]
    text = json.dumps(json.loads(blocks) if isinstance(blocks, str) else blocks, ensure_ascii=False)
    assert "每日舆情简报 2026-11-10" in text and "负面占比" in text and "当前未结" in text
