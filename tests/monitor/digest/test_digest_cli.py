"""``crisiswatch digest``: files written, options checked, empty weeks reported, sending."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from monitor.cli import digest as cli_digest
from monitor.cli.common import Context
from monitor.digest.charts import render_charts
from monitor.digest.figures import build_digest
from monitor.digest.labels import Labels
from monitor.digest.period import iso_week
from monitor.digest.render_json import render_json
from monitor.digest.render_markdown import render_markdown
from monitor.digest.run import render_document
from monitor.digest.testing import sample_inputs

CONFIG = """\
version: 1
organisation: {name: Lumina Dairy 澜沐乳业, timezone: Asia/Shanghai, locale: en}
storage: {data_dir: data}
entities:
  - {id: lumina, name: Lumina Dairy, kind: brand, aliases: [澜沐乳业, 澜沐, LuminaDairy]}
  - {id: lumina-kids, name: Lumina Kids 奶粉, kind: product, aliases: [Lumina Kids, 小澜沐]}
  - {id: chen-haoran, name: 陈浩然 (CEO), kind: executive, aliases: [Chen Haoran, 陈浩然]}
  - {id: northfield, name: Northfield Milk, kind: competitor, aliases: [北原牧场]}
  - {id: sunvale, name: 晴谷乳业 Sunvale, kind: competitor, aliases: [Sunvale, 晴谷]}
  - {id: food-safety, name: Food safety, kind: topic, aliases: [食品安全]}
channels:
  console: {kind: console}
"""


def run(tmp_path: Path, week: Any, *args: str) -> Result:
    config = tmp_path / "crisiswatch.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    context = Context(str(config), f"sqlite:///{week.path}")
    return CliRunner().invoke(cli_digest.digest, list(args), obj=context)


def test_digest_cli_writes_every_format(tmp_path: Path, week: Any) -> None:
    out = tmp_path / "out"
    result = run(tmp_path, week, "--week", "2026-W46", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["period"] == "2026-W46" and data["empty"] is False
    assert data["start"] == "2026-11-08T16:00:00+00:00"
    files = {k: Path(v) for k, v in data["files"].items()}
    assert files == {f: out / f"digest-2026-W46.{f}" for f in ("html", "md", "json")}
    figures = json.loads(files["json"].read_text(encoding="utf-8"))
    assert figures["headline"]["mentions"]["current"] == week.digest.headline.mentions.current
    assert figures["headline"]["incidents"] == json.loads(render_json(week.digest))["headline"][
        "incidents"
    ]
    assert files["html"].read_text(encoding="utf-8").count("<img ") == 4
    assert [d["key"] for d in figures["drills"]["items"]] == [
        r.key for r in week.digest.drills.items
    ]
    assert "Drills run: 3." in files["md"].read_text(encoding="utf-8")
    assert not list(out.glob(".*.tmp"))


def test_digest_cli_text_output_and_format_choice(tmp_path: Path, week: Any) -> None:
    result = run(tmp_path, week, "--from", "2026-11-09", "--to", "2026-11-11", "--format", "md",
                 "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    path = tmp_path / "digest-2026-11-09_2026-11-11.md"
    assert f"wrote {path}" in result.output
    assert "Risk digest" in path.read_text(encoding="utf-8")
    assert not (tmp_path / "digest-2026-11-09_2026-11-11.html").exists()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--week", "2026-W46", "--from", "2026-11-01", "--to", "2026-11-02"], "either --week"),
        (["--week", "next week"], "--week: expected an ISO week"),
        (["--from", "2026-11-01"], "--from and --to go together"),
        (["--format", "pdf"], "--format: unknown format pdf"),
        (["--week", "2026-W46", "--send", "--channel", "nope"], "unknown channel 'nope'"),
    ],
)
def test_digest_cli_reports_bad_options_in_one_line(
    tmp_path: Path, week: Any, args: list[str], message: str
) -> None:
    result = run(tmp_path, week, *args, "--out", str(tmp_path))
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_digest_cli_sends_to_a_channel(tmp_path: Path, week: Any) -> None:
    result = run(tmp_path, week, "--week", "2026-W46", "--out", str(tmp_path), "--send",
                 "--channel", "console")
    assert result.exit_code == 0, result.output
    assert "sent console (console): summary sent" in result.output
    assert "Weekly risk digest 2026-W46" in result.output  # the console channel's text


def test_digest_cli_empty_week_is_a_short_correct_report(tmp_path: Path, week: Any) -> None:
    result = run(tmp_path, week, "--week", "2025-W10", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "0 mentions, 0 incidents (empty period)" in result.output
    md = (tmp_path / "digest-2025-W10.md").read_text(encoding="utf-8")
    assert "No mentions and no incidents were recorded in this period." in md
    html = (tmp_path / "digest-2025-W10.html").read_text(encoding="utf-8")
    assert "<img" not in html and "Top negative themes" not in html


def test_digest_empty_database_renders_everything(new_engine: Callable[[], Engine]) -> None:
    engine = new_engine()
    period = iso_week(week="2026-W46", tz="Asia/Shanghai")
    with Session(engine) as session:
        digest = build_digest(session=session, inputs=sample_inputs("zh"), period=period,
                              now=datetime(2026, 11, 23, tzinfo=UTC))
    assert digest.meta.empty
    h = digest.headline
    assert (h.mentions.current, h.mentions.previous, h.incidents.current) == (0, 0, 0)
    assert h.negative_share.current is None and h.mentions.change_pct is None
    assert h.time_to_ack.count == 0 and h.time_to_ack.median_s is None
    assert digest.daily == () and digest.voice == () and digest.top_incidents == ()
    assert digest.themes.sample_size == 0 and digest.drills.count == 0
    labels = Labels("zh", "Asia/Shanghai")
    charts = render_charts(digest, labels)
    assert (charts.trend, charts.entities, charts.voice, charts.matrix) == (None,) * 4
    document = render_document(digest, charts=charts, labels=labels, filename="d.html")
    assert "本周期没有记录到任何提及或事件。" in document.html
    md = render_markdown(digest, labels=labels)
    assert "本周期没有记录到任何提及或事件。" in md and "| 提及量 | 0 | 0 |" in md
    assert "本周期没有进行演练。" in md
    assert json.loads(render_json(digest))["meta"]["empty"] is True


def test_digest_quiet_week_after_a_busy_one_compares_and_lists_the_backlog(week: Any) -> None:
    period = iso_week(week="2026-W47", tz="Asia/Shanghai")
    with Session(week.engine) as session:
        digest = build_digest(session=session, inputs=week.inputs, period=period, now=week.now)
    assert digest.meta.empty
    assert digest.headline.mentions.previous == week.digest.headline.mentions.current
    assert digest.headline.mentions.change_pct == -100.0
    assert digest.open_items.unacknowledged_total == week.digest.open_items.unacknowledged_total
    assert digest.drills.count == 0  # a drill belongs to the week it started in
    md = render_markdown(digest, labels=Labels("en"))
    assert "Unacknowledged incidents" in md and "-100%" in md
