"""The incident, silence, playbook and script commands on a temporary configuration."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from config.loader import load_config
from monitor.app import open_app
from monitor.cli import incidents, playbooks
from monitor.cli.common import CliGroup, Context
from monitor.db.models import Alert, Incident, Label
from monitor.incidents import build_incident_context
from monitor.incidents.testing import open_test_incident
from playbooks import default_scripts_path

CONFIG = """\
version: 1
organisation: {name: Acme Group, timezone: UTC}
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
playbooks:
  hotline: 400-800-1234
"""

Run = Callable[..., tuple[int, str]]


@click.group(cls=CliGroup)
@click.option("-c", "--config", "config_path")
@click.pass_context
def root(ctx: click.Context, config_path: str | None) -> None:
    ctx.obj = Context(config_path, None)


incidents.register(root)
playbooks.register(root)


@pytest.fixture()
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "crisiswatch.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture()
def run(config_file: Path) -> Run:
    runner = CliRunner()

    def invoke(*args: str, config: Path = config_file) -> tuple[int, str]:
        result = runner.invoke(root, ["-c", str(config), *args], catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def open_incidents(config: Path, *, minutes_ago: float = 0, count: int = 1) -> list[int]:
    loaded = load_config(config)
    now = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    ids = []
    with open_app(loaded) as app:
        ctx = build_incident_context(loaded.settings, loaded.base_dir)
        with app.sessions.begin() as s:
            for i in range(count):
                ids.append(open_test_incident(
                    s, ctx=ctx, now=now, entities=["acme-kids", "acme"][i % 2 : i % 2 + 1],
                    text=f"Acme formula <b>contaminated</b> story {i} \x1b[31m red",
                ))
    return ids


def test_incident_list_show_ack_resolve_report(run: Run, config_file: Path) -> None:
    (incident_id,) = open_incidents(config_file)
    code, out = run("incidents", "--json")
    assert code == 0, out
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [incident_id] and rows[0]["entity"] == "acme-kids"
    assert run("incidents", "--grade", "critical")[1].strip() == "no incidents"
    code, out = run("incident", "show", str(incident_id))
    assert code == 0, out
    for part in ("likelihood 3 x impact 3", "Checklist:", "Approved scripts:",
                 "[general.holding.en]", "400-800-1234", "Timeline:", "alert opened"):
        assert part in out, part
    assert "\x1b" not in out  # terminal escapes from mention text are neutralised
    detail = json.loads(run("incident", "show", f"#{incident_id}", "--json")[1])
    assert detail["checklist"] and detail["sla"][0].startswith("acknowledge within 1h")
    code, out = run("ack", str(incident_id), "--by", "Ana", "--note", "commander: Ana")
    assert code == 0 and out.strip() == (
        f"incident #{incident_id} acknowledged by Ana; 2 alerts queued, sent when the service "
        "runs (`crisiswatch run`) or by `crisiswatch alerts send`"
    )
    code, out = run("ack", str(incident_id), "--by", "Bo")
    assert code == 1 and "error: cannot acknowledge incident #1: it is acknowledged by Ana" in out
    assert run("respond", str(incident_id), "--by", "Wen")[0] == 2  # --note is required
    code, out = run("respond", str(incident_id), "--by", "Wen", "--note",
                    "holding statement: https://weibo.example/acme/1")
    assert code == 0 and "public response recorded by Wen; 2 alerts queued, sent when" in out
    responded = json.loads(run("incident", "show", str(incident_id), "--json")[1])
    assert responded["responded_by"] == "Wen" and responded["state"] == "acknowledged"
    assert "First public response by Wen at " in run("incident", "show", str(incident_id))[1]
    code, out = run("respond", str(incident_id), "--by", "Wen", "--note", "update posted",
                    "--script", "general.update.en")
    assert code == 0 and "public response from script general.update.en recorded by Wen" in out
    shown = run("incident", "show", str(incident_id))[1]
    assert "responded (script general.update.en): update posted by Wen" in shown
    code, out = run("respond", str(incident_id), "--by", "Wen", "--note", "x",
                    "--script", "general.updat.en")
    assert code == 1 and "--script: no script 'general.updat.en' (did you mean " in out
    assert run("resolve", str(incident_id), "--by", "Ana")[0] == 2  # --note is required
    code, out = run("resolve", str(incident_id), "--by", "Ana", "--note", "batch withdrawn")
    assert code == 0 and "resolved by Ana" in out
    report = config_file.parent / "review.md"
    code, out = run("incident", "report", str(incident_id), "--out", str(report))
    assert code == 0 and "wrote" in out
    text = report.read_text(encoding="utf-8")
    assert text.startswith(f"# Incident #{incident_id}: Acme Kids formula · product safety")
    assert "| Time to acknowledge |" in text and "(medium playbook) | met |" in text
    assert "| First public response |" in text and "(by Wen, " in text
    assert "\\<b\\>contaminated\\<" in text  # mention text is Markdown-inert
    code, out = run("incident", "show", "99")
    assert code == 1 and out.strip().endswith("error: no incident #99")
    assert run("incident", "show", "abc")[0] == 1


def test_false_positive_and_reopen(run: Run, config_file: Path) -> None:
    incident_id = open_incidents(config_file)[0]
    code, out = run("false-positive", str(incident_id), "--by", "Ana", "--note", "lamps")
    assert code == 0 and "; 1 label stored for retraining" in out
    code, out = run("respond", str(incident_id), "--by", "Wen", "--note", "posted")
    assert code == 1 and "cannot record a response for incident #1: it is false_positive" in out
    code, out = run("reopen", str(incident_id), "--by", "Ana", "--note", "actually ours")
    assert code == 0 and "reopened by Ana" in out
    with open_app(load_config(config_file)) as app, app.sessions() as s:
        assert [lb.kind for lb in s.scalars(select(Label))] == ["false_positive"]


def test_incidents_list_by_grade_then_activity_with_a_header(run: Run, config_file: Path) -> None:
    ids = open_incidents(config_file, count=4)
    now = datetime.now(UTC)
    # (grade, peak, hours since the last activity): the README promises "by grade"
    shape = {ids[0]: ("medium", "medium", 3), ids[1]: ("high", "high", 2),
             ids[2]: ("medium", "critical", 1), ids[3]: ("low", "low", 0)}
    with open_app(load_config(config_file)) as app, app.sessions.begin() as s:
        for incident_id, (grade, peak, hours) in shape.items():
            s.execute(update(Incident).where(Incident.id == incident_id).values(
                grade=grade, peak_grade=peak, last_seen_at=now - timedelta(hours=hours)))
    code, out = run("incidents")
    assert code == 0, out
    header, *lines = out.splitlines()
    assert header.split()[:6] == ["ID", "GRADE", "STATE", "ENTITY", "CATEGORY", "MENTIONS"]
    order = (ids[1], ids[2], ids[0], ids[3])
    assert [line.split()[0] for line in lines] == [f"#{i}" for i in order]
    assert lines[1].split()[1:4] == ["medium", "(peak", "critical)"]
    for column in ("STATE", "ENTITY", "LAST ACTIVITY", "TITLE"):
        at = header.index(column)  # every row's cell starts under its heading
        assert all(line[at - 2 : at] == "  " and line[at] != " " for line in lines), column
    assert [r["id"] for r in json.loads(run("incidents", "--json")[1])][:2] == [ids[1], ids[2]]


def test_silence_commands(run: Run) -> None:
    code, out = run("silence", "add", "--entity", "acme", "--until", "4h", "--reason",
                    "lamp brand noise", "--by", "Ana")
    assert code == 0 and out.startswith("silence #1 until ")
    code, out = run("silence", "add", "--entity", "nope", "--until", "4h", "--reason", "x",
                    "--by", "Ana")
    assert code == 1 and "unknown entity 'nope' (known: acme, acme-kids)" in out
    code, out = run("silence", "add", "--source", "weibo", "--until", "2020-01-01T00:00",
                    "--reason", "x", "--by", "Ana")
    assert code == 1 and "unknown source 'weibo'" in out
    code, out = run("silence", "add", "--category", "product_safety", "--until", "soon",
                    "--reason", "x", "--by", "Ana")
    assert code == 1 and "--until: expected a duration like 4h" in out
    rows = json.loads(run("silence", "list", "--json")[1])
    assert [(r["entity"], r["reason"], r["active"]) for r in rows] == [
        ("acme", "lamp brand noise", True)
    ]
    assert run("silence", "remove", "1") == (0, "silence #1 removed\n")
    code, out = run("silence", "remove", "1")
    assert code == 1 and "no silence #1" in out
    assert run("silence", "list")[1].strip() == "no silences"


def test_a_silenced_entity_gets_suppressed_alerts_from_the_cli(run: Run, config_file: Path
                                                              ) -> None:
    run("silence", "add", "--entity", "acme-kids", "--until", "1d", "--reason", "drill week",
        "--by", "Ana")
    open_incidents(config_file)
    with open_app(load_config(config_file)) as app, app.sessions() as s:
        assert {a.status for a in s.scalars(select(Alert))} == {"suppressed"}


def test_playbooks_check(run: Run, tmp_path: Path) -> None:
    code, out = run("playbooks", "check")
    assert code == 0, out
    assert out.startswith("OK: 4 playbooks (low, medium, high, critical), 30 scripts")
    console_only = tmp_path / "console-only.yaml"
    console_only.write_text(CONFIG.split("channels:")[0] + "playbooks: {hotline: '1'}\n",
                            encoding="utf-8")
    code, out = run("playbooks", "check", config=console_only)
    assert code == 1
    assert "unknown channel 'risk-slack' (known: console)" in out
    assert out.strip().endswith("problem(s) in playbooks or scripts")


def _own_scripts(config_file: Path, tmp_path: Path, extra: str = "") -> Path:
    mine = tmp_path / "scripts.yaml"
    text = default_scripts_path().read_text(encoding="utf-8")
    mine.write_text(text.replace("We are checking the facts now", "We check the facts now"),
                    encoding="utf-8")
    config_file.write_text(CONFIG + "  scripts: [scripts.yaml]\n" + extra, encoding="utf-8")
    return mine


def test_scripts_list_and_review_chain_without_people(
    run: Run, config_file: Path, tmp_path: Path
) -> None:
    code, out = run("scripts", "list")
    assert code == 0 and any(
        line.startswith("ok ") and "general.holding.en" in line for line in out.splitlines()
    )
    code, out = run("scripts", "approve", "general.holding.en", "--by", "Ana")
    assert code == 1 and "shipped scripts are read-only" in out
    mine = _own_scripts(config_file, tmp_path)
    rows = {r["id"]: r for r in json.loads(run("scripts", "list", "--json")[1])}
    edited = rows["general.holding.en"]
    assert edited["approved"] is False
    assert edited["status"] == "text changed after the compliance review (hash mismatch)"
    assert [(r["step"], r["current"]) for r in edited["reviews"]] == [
        ("compliance", False), ("brand", False), ("accuracy", False), ("final", False)
    ]
    assert rows["general.holding.zh"]["approved"] is True

    # The sign-off alone does not make an edited text usable: every step reviews it again.
    code, out = run("scripts", "approve", "general.holding.en", "--by", "Wen (legal)")
    assert code == 0 and out.startswith(
        "final review of general.holding.en by Wen (legal) (unverified: no people configured) "
    )
    assert out.rstrip().endswith("text changed after the compliance review (hash mismatch)")
    for step, who in (("compliance", "Wen (legal)"), ("brand", "Mei"), ("accuracy", "Jo")):
        code, out = run("scripts", "review", "general.holding.en", "--step", step, "--by", who)
        assert code == 0, out
    assert out.rstrip().endswith("; usable")
    rows = {r["id"]: r for r in json.loads(run("scripts", "list", "--json")[1])}
    assert rows["general.holding.en"]["approved"] is True
    assert {r["verified"] for r in rows["general.holding.en"]["reviews"]} == {False}
    text = mine.read_text(encoding="utf-8")
    assert "We check the facts now" in text and "unverified: true" in text

    code, out = run("scripts", "approve", "nope", "--by", "Wen")
    assert code == 1 and "no script 'nope' in playbooks.scripts" in out
    code, out = run("scripts", "review", "general.holding.en", "--step", "brnad", "--by", "Wen")
    assert code == 1 and "unknown review step 'brnad' (did you mean 'brand'?)" in out


REVIEWERS = """\
people:
  - {id: wen, name: Wen Li, roles: [compliance, final]}
  - {id: mei, name: Mei, roles: [brand, accuracy]}
"""


def test_reviews_are_bound_to_people_holding_the_role(
    run: Run, config_file: Path, tmp_path: Path
) -> None:
    mine = _own_scripts(config_file, tmp_path, extra=REVIEWERS)
    code, out = run("scripts", "review", "general.holding.en", "--step", "brand", "--by", "wen")
    assert code == 1
    assert "--by: wen does not hold the role 'brand' (people who do: mei)" in out
    code, out = run("scripts", "review", "general.holding.en", "--step", "brand", "--by", "mie")
    assert code == 1 and "--by: unknown person 'mie' (did you mean 'mei'?)" in out
    for step, who in (("compliance", "wen"), ("brand", "mei"), ("accuracy", "mei")):
        assert run("scripts", "review", "general.holding.en", "--step", step, "--by", who)[0] == 0
    code, out = run("scripts", "approve", "general.holding.en", "--by", "wen")
    assert code == 0 and out.startswith("final review of general.holding.en by Wen Li (wen) ")
    assert out.rstrip().endswith("; usable")
    rows = {r["id"]: r for r in json.loads(run("scripts", "list", "--json")[1])}
    assert rows["general.holding.en"]["status"].startswith(
        "approved by wen on "
    ) and "after compliance, brand, accuracy review" in rows["general.holding.en"]["status"]
    assert all(r["verified"] for r in rows["general.holding.en"]["reviews"])
    assert "unverified" not in mine.read_text(encoding="utf-8").split("general.holding.zh")[0]


def test_escalations_tick(run: Run, config_file: Path) -> None:
    open_incidents(config_file, minutes_ago=45)  # medium: escalates after 30 minutes
    code, out = run("escalations", "tick")
    assert code == 0 and out.startswith("1 incident due, 0 suppressed by silences")
    assert "; 2 alerts queued, sent when the service runs" in out
    data = json.loads(run("escalations", "tick", "--json")[1])
    assert data == {"incidents": 0, "alerts": 0, "suppressed": 0, "recoveries": 0}


def test_a_response_may_not_use_a_script_that_is_not_usable(
    run: Run, config_file: Path, tmp_path: Path
) -> None:
    _own_scripts(config_file, tmp_path)  # general.holding.en edited, so not reviewed
    incident_id = open_incidents(config_file)[0]
    code, out = run("respond", str(incident_id), "--by", "Wen", "--note", "posted",
                    "--script", "general.holding.en")
    assert code == 1 and out.strip().endswith(
        "--script: general.holding.en may not be used: text changed after the compliance "
        "review (hash mismatch)"
    )
    detail = json.loads(run("incident", "show", str(incident_id), "--json")[1])
    assert detail["responded_at"] is None
PEOPLE = """\
people:
  - {id: li.na, name: Li Na, contacts: {slack: U111}}
  - {id: wang.wei, name: Wang Wei}
"""


def test_with_people_by_must_name_one_and_show_names_them(run: Run, config_file: Path) -> None:
    config_file.write_text(CONFIG + PEOPLE, encoding="utf-8")
    (incident_id,) = open_incidents(config_file)
    code, out = run("ack", str(incident_id), "--by", "lina")
    assert code == 1
    assert out.strip() == "error: --by: unknown person 'lina' (did you mean 'li.na'?)"
    code, out = run("ack", str(incident_id), "--by", "slack:U111")
    assert code == 1 and "recorded by Slack and the console" in out
    code, out = run("ack", str(incident_id), "--by", "li.na")
    assert code == 0 and out.startswith(f"incident #{incident_id} acknowledged by li.na;")
    assert "Acknowledged by Li Na (li.na) at " in run("incident", "show", str(incident_id))[1]
    detail = json.loads(run("incident", "show", str(incident_id), "--json")[1])
    assert detail["acknowledged_person"] == "li.na"
    code, out = run("resolve", str(incident_id), "--by", "Wang", "--note", "done")
    assert code == 1 and "unknown person 'Wang'" in out


def test_with_people_silences_and_corrections_name_a_person(run: Run, config_file: Path) -> None:
    config_file.write_text(CONFIG + PEOPLE, encoding="utf-8")
    code, out = run("silence", "add", "--entity", "acme", "--until", "2h", "--reason", "noise",
                    "--by", "wang")
    assert code == 1 and out.strip().startswith("error: --by: unknown person 'wang'")
    code, out = run("silence", "add", "--entity", "acme", "--until", "2h", "--reason", "noise",
                    "--by", "Wang Wei")
    assert code == 0, out
    listed = json.loads(run("silence", "list", "--json")[1])
    assert [s["created_by"] for s in listed] == ["wang.wei"]
