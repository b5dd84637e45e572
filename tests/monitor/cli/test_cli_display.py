"""What the command line shows: times in the organisation's zone with the zone, and outside
text (titles, authors, errors) without bidi overrides, invisible or control characters."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from config.loader import load_config
from monitor.app import open_app
from monitor.cli.main import cli
from monitor.db.models import Alert
from monitor.incidents import build_incident_context
from monitor.incidents.testing import open_test_incident

CONFIG = """\
version: 1
organisation: {name: Acme Group, timezone: Asia/Shanghai}
storage: {data_dir: data}
entities:
  - {id: acme, name: Acme, kind: brand}
  - {id: acme-kids, name: Acme Kids formula, kind: product}
channels:
  console: {kind: console}
  risk-slack: {kind: console}
  manager-email: {kind: console}
  exec-slack: {kind: console}
  webhook: {kind: console}
"""
OPENED = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
HOSTILE = "Acme formula \u202egnp.exe\u202c poisoned\u200b kids\x07 \u2066x\u2069 \x1b[31mred"
HIDDEN = ("\u202e", "\u202c", "\u2066", "\u2069", "\u200b", "\x07", "\x1b")


@pytest.fixture()
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "crisiswatch.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    loaded = load_config(path)
    with open_app(loaded) as app:
        ctx = build_incident_context(loaded.settings, loaded.base_dir)
        with app.sessions.begin() as s:
            open_test_incident(
                s, ctx=ctx, now=OPENED, entities=["acme-kids"], text=HOSTILE, author=HOSTILE
            )
            s.execute(update(Alert).values(status="dead", last_error=HOSTILE))
    return path


def _run(config: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (("incidents",), "  2026-11-18 18:00 UTC+8  "),
        (("incident", "show", "1"), "seen 2026-11-18 18:00 UTC+8 to 2026-11-18 18:00 UTC+8"),
        (("stories",), "2026-11-18 18:00 UTC+8"),
        (("alerts",), "queued 2026-11-18 18:00:00 UTC+8"),
        (("mentions",), "#1 2026-11-18 18:00 UTC+8"),
    ],
)
def test_times_are_in_the_organisation_zone_and_outside_text_is_clean(
    config: Path, args: tuple[str, ...], shown: str
) -> None:
    out = _run(config, *args)
    assert shown in out
    assert "gnp.exe" in out
    for ch in HIDDEN:
        assert ch not in out, (args, hex(ord(ch)))
