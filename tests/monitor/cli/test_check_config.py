"""``crisiswatch check-config``: every problem with its file and line, warnings for
environment variables that are not set (errors with ``--strict``), "did you mean" hints."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli.main import cli

CONFIG = """\
version: 1
organisation: {name: Acme}
storage: {url_env: CW_TEST_DB_URL}
entities:
  - {id: acme, name: Acme, kind: brand}
  - {id: bad, name: Bad, kind: topic, query: 'acme AND (milk'}
sources:
  - {id: feed, kind: rss, url: feeds/gone.xml}
  - {id: file, kind: export, path: exports/gone.csv, preset: weibo}
inbox: {path: in, preset: twiter}
playbooks:
  paths: [playbooks/gone.yaml]
channels:
  slack:
    kind: slack
    channel: "#risk"
  hook: {kind: webhok}
"""


def check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, *args: str
) -> tuple[int, list[str]]:
    monkeypatch.chdir(tmp_path)
    for name in ("CRISISWATCH_CONFIG", "CW_TEST_DB_URL", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "cw.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check-config", "cw.yaml", *args], catch_exceptions=False)
    return result.exit_code, result.output.splitlines()


def test_every_problem_has_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, lines = check(tmp_path, monkeypatch, CONFIG)
    where = tmp_path / "cw.yaml"
    assert code == 1
    errors = [line for line in lines if line.startswith("config error: ")]
    assert sorted(errors) == sorted(
        [
            f"config error: {where}:6: entities[1].query: entity 'bad': missing ')' for the '(' at "
            "position 9",
            f"config error: {where}:9: sources[1].path: file not found: "
            f"{tmp_path / 'exports/gone.csv'}",
            f"config error: {where}:10: inbox.preset: unknown preset 'twiter' (did you mean "
            "'twitter'?)",
            f"config error: {where}:12: playbooks.paths[0]: file not found: "
            f"{tmp_path / 'playbooks/gone.yaml'}",
            f"config error: {where}:17: channels.hook.kind: unknown channel kind 'webhok' (did you "
            "mean 'webhook'?)",
        ]
    )
    # what may be there where the service runs is named too, as warnings
    assert (
        f"config warning: {where}:8: sources[0].url: file not found: "
        f"{tmp_path / 'feeds/gone.xml'} (each poll fails until it exists)" in lines
    )
    assert (
        f"config warning: {where}:3: storage.url_env: environment variable CW_TEST_DB_URL "
        "is not set" in lines
    )
    assert any(
        line.startswith(
            f"config warning: {where}:14: channels.slack: environment "
            "variable SLACK_BOT_TOKEN is not set"
        )
        for line in lines
    )
    assert "Traceback" not in "\n".join(lines)


def test_an_unset_variable_is_a_warning_unless_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = CONFIG.split("  - {id: bad")[0] + "channels:\n  slack: {kind: slack, channel: '#r'}\n"
    code, lines = check(tmp_path, monkeypatch, text)
    assert code == 0, lines
    assert [line.split(": ")[0] for line in lines] == ["config warning"] * 2 + [
        str(tmp_path / "cw.yaml")
    ]
    assert lines[-1].endswith("OK with 2 warnings (1 entities, 0 sources)")
    code, strict = check(tmp_path, monkeypatch, text, "--strict")
    assert code == 1
    assert strict == [line.replace("config warning", "config error") for line in lines[:2]]
    monkeypatch.setenv("CW_TEST_DB_URL", "sqlite://")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    result = CliRunner().invoke(cli, ["check-config", "cw.yaml", "--strict"])
    assert result.exit_code == 0 and result.output.strip().endswith("OK (1 entities, 0 sources)")


PEOPLE_PLAYBOOK = """\
name: high
applies_to: {grades: [low, medium, high, critical]}
sla: {time_to_ack: 10m, time_to_first_response: 2h}
checklist: [Confirm.]
steps:
  - notify: [console, {oncall: risk-primry}]
  - wait_ack: 10m
  - notify: [{person: li.na}, {lead: risk}]
  - wait_ack: 10m
"""
PEOPLE_CONFIG = """\
organisation: {name: Acme}
entities: [{id: acme, name: Acme, kind: brand}]
playbooks: {paths: [pb.yaml]}
channels: {console: {kind: console}}
people:
  - {id: li.na, name: Li Na}
teams:
  - {id: risk, name: Risk, members: [li.na]}
schedules:
  - {id: risk-primary, team: risk, layers: [{start: 2026-11-16, members: [li.na]}]}
"""


def test_escalation_targets_naming_unknown_people_are_errors_at_the_playbook_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pb.yaml").write_text(PEOPLE_PLAYBOOK, encoding="utf-8")
    code, lines = check(tmp_path, monkeypatch, PEOPLE_CONFIG)
    pb = tmp_path / "pb.yaml"
    assert code == 1
    assert [line for line in lines if line.startswith("config error: ")] == [
        f"config error: {pb}:6: steps[0].notify[1].oncall: unknown schedule 'risk-primry' "
        "(did you mean 'risk-primary'?)",
        f"config error: {pb}:8: steps[2].notify[1].lead: team 'risk' has no lead",
    ]
    fixed = PEOPLE_PLAYBOOK.replace("risk-primry", "risk-primary").replace(", {lead: risk}", "")
    (tmp_path / "pb.yaml").write_text(fixed, encoding="utf-8")
    code, lines = check(tmp_path, monkeypatch, PEOPLE_CONFIG)
    assert code == 0, lines
