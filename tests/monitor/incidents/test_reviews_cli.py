"""``incident review``, ``actions`` and ``action``: options, $EDITOR, exports and Jira."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from config.loader import load_config
from monitor.app import open_app
from monitor.cli import incidents, reviews
from monitor.cli.common import CliGroup, Context
from monitor.incidents import build_incident_context, resolve_incident
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

Run = Callable[..., tuple[int, str]]


@click.group(cls=CliGroup)
@click.option("-c", "--config", "config_path")
@click.pass_context
def root(ctx: click.Context, config_path: str | None) -> None:
    ctx.obj = Context(config_path, None)


incidents.register(root)
reviews.register(root)


@pytest.fixture()
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "crisiswatch.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture()
def run(config_file: Path) -> Run:
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(root, ["-c", str(config_file), *args], catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def open_incident(config: Path, *, resolved: bool = True) -> int:
    loaded = load_config(config)
    now = datetime.now(UTC) - timedelta(hours=3)
    with open_app(loaded) as app:
        ctx = build_incident_context(loaded.settings, loaded.base_dir)
        with app.sessions.begin() as s:
            incident_id = open_test_incident(
                s,
                ctx=ctx,
                now=now,
                entities=["acme-kids"],
                text="Acme formula <b>contaminated</b> | batch 7",
            )
        if resolved:
            with app.sessions.begin() as s:
                resolve_incident(
                    s,
                    ctx=ctx,
                    incident_id=incident_id,
                    by="Ana",
                    note="batch withdrawn",
                    now=now + timedelta(hours=2),
                )
    return incident_id


def test_review_by_options_then_actions_and_their_states(run: Run, config_file: Path) -> None:
    incident_id = open_incident(config_file)
    code, out = run("incident", "review", str(incident_id), "--summary", "x")
    assert code == 1 and out.strip() == "error: --by: say who edits the review (e.g. --by Ana)"
    code, out = run("incident", "review", str(incident_id), "--by", "Ana", "--action", "fix")
    assert code == 1 and "error: --action: give its --owner and --due too" in out
    code, out = run(
        "incident",
        "review",
        str(incident_id),
        "--by",
        "Ana",
        "--summary",
        "Parents said formula batch 7 was contaminated; it was not.",
        "--cause",
        "Lab results came late",
        "--cause",
        "No holding statement in Chinese",
        "--went-well",
        "Acknowledged in 10 minutes",
        "--went-badly",
        "First response 5h late",
        "--action",
        "Write a zh holding statement",
        "--owner",
        "Wen",
        "--due",
        "2020-01-02",
        "--revision",
        "product-safety playbook: call the lab in the first hour",
    )
    assert code == 0, out
    assert out.strip() == (
        f"review of incident #{incident_id} saved: 2 causes; 1 went-well line; "
        "1 went-badly line; 1 revision; 1 action item added (#1); summary"
    )
    code, out = run(
        "incident",
        "review",
        str(incident_id),
        "--by",
        "Bo",
        "--cause",
        "Slow lab",
        "--action",
        "Agree a lab turnaround",
        "--owner",
        "Bo",
        "--due",
        "7d",
    )
    assert code == 0 and "3 causes" in out and "(#2)" in out
    data = json.loads(run("incident", "review", str(incident_id), "--json")[1])
    assert data["causes"][-1] == "Slow lab" and data["updated_by"] == "Bo"
    assert data["completed_at"] is None
    first, second = data["actions"]
    # a date alone is due by its end, in the organisation's zone (UTC+8)
    assert first["due_at"] == "2020-01-02T15:59:00+00:00" and first["overdue"] is True
    assert second["overdue"] is False and second["state"] == "open"
    kinds = " ".join(e["text"] for e in data["timeline"])
    assert "opened at grade medium" in kinds and "alert opened" in kinds
    assert "resolved: batch withdrawn by Ana" in kinds

    code, out = run("actions")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "INCIDENT", "DUE", "STATE", "OWNER", "JIRA", "ACTION"]
    assert "2020-01-02 23:59 UTC+8" in lines[1] and "open (overdue)" in lines[1]
    overdue = json.loads(run("actions", "--overdue", "--json")[1])
    assert [a["id"] for a in overdue] == [1]
    code, out = run("action", "done", "1", "--by", "Wen")
    assert code == 0 and re.fullmatch(
        r"action item #1 \(incident #1\) done by Wen at \d{4}-\d\d-\d\d \d\d:\d\d UTC\+8\n", out
    )
    assert run("actions", "--overdue")[1].strip() == "no overdue action items"
    code, out = run("action", "done", "1", "--by", "Wen")
    assert code == 1 and out.startswith("error: action item #1 is already done")
    assert [a["id"] for a in json.loads(run("actions", "--json")[1])] == [2]
    everything = json.loads(run("actions", "--all", "--json")[1])
    assert [(a["id"], a["state"], a["state_changed_by"]) for a in everything] == [
        (1, "done", "Wen"),
        (2, "open", "Bo"),
    ]
    assert run("action", "drop", "2", "--by", "Ana")[0] == 0
    assert run("action", "reopen", "2", "--by", "Ana")[0] == 0
    code, out = run("action", "done", "9", "--by", "Ana")
    assert code == 1 and out.strip() == "error: no action item #9"
    code, out = run("incident", "review", "99", "--show")
    assert code == 1 and out.strip() == "error: no incident #99"

    code, out = run("incident", "review", str(incident_id), "--by", "Ana", "--complete")
    assert code == 0 and out.strip().endswith("saved: completed")
    report = run("incident", "report", str(incident_id))[1]
    assert "## Review (completed by Ana at " in report
    assert "- Lab results came late" in report
    assert "| Write a zh holding statement | Wen |" in report
    assert "to complete in the meeting" not in report


EDITOR = """\
import pathlib, sys
path = pathlib.Path(sys.argv[1])
here = pathlib.Path(__file__).parent
form = path.read_text(encoding="utf-8")
(here / "seen.yaml").write_text(form, encoding="utf-8")
edit = (here / "edit.yaml").read_text(encoding="utf-8")
if edit.startswith("SUBST "):  # SUBST old => new: change the form in place
    old, new = edit[6:].rstrip("\\n").split(" => ")
    assert old in form, old
    path.write_text(form.replace(old, new), encoding="utf-8")
else:  # a whole new form
    path.write_text(edit, encoding="utf-8")
"""


def test_review_in_the_editor_with_line_numbered_errors(
    run: Run, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident_id = open_incident(config_file)
    script = tmp_path / "editor.py"
    script.write_text(EDITOR, encoding="utf-8")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    edit = tmp_path / "edit.yaml"
    edit.write_text(
        "summary: |\n  A false rumour.\n  Handled in 2 hours.\n"
        "causes: [Late lab results]\n"
        "actions:\n"
        "  - text: Holding statement in zh\n"
        "    owner: Wen\n"
        "    due: soon\n"
        "  - {text: '', owner: Bo, due: 7d, state: finished}\n"
        "colour: red\n",
        encoding="utf-8",
    )
    code, out = run("incident", "review", str(incident_id), "--by", "Ana")
    assert code == 1
    errors = [line for line in out.splitlines() if line.startswith("error: ")]
    assert errors == [
        "error: review form:8: actions[0].due: expected a time like 2026-12-20 18:00, a date "
        "like 2026-12-20 or a span from now like 7d, got 'soon'",
        "error: review form:9: actions[1].text: String should have at least 1 character, got ''",
        "error: review form:9: actions[1].state: Input should be 'open', 'done' or 'dropped', "
        "got 'finished'",
        "error: review form:10: colour: unknown key (expected one of: summary, causes,"
        " went_well, went_badly, actions, revisions, completed)",
    ]
    kept = re.search(
        r"your edit is kept in (\S+): fix it and run `crisiswatch incident review "
        rf"{incident_id} --form \1 --by Ana`",
        out,
    )
    assert kept is not None
    assert json.loads(run("incident", "review", str(incident_id), "--json")[1])["stored"] is False
    # the form shows the generated timeline as comments
    form_lines = (tmp_path / "seen.yaml").read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("#   ") and "alert opened" in line for line in form_lines)

    fixed = Path(kept.group(1)).read_text(encoding="utf-8")
    fixed = fixed.replace("due: soon", "due: 2026-12-20 18:00").replace(
        "  - {text: '', owner: Bo, due: 7d, state: finished}\ncolour: red\n", ""
    )
    Path(kept.group(1)).write_text(fixed, encoding="utf-8")
    code, out = run("incident", "review", str(incident_id), "--form", kept.group(1), "--by", "Ana")
    assert code == 0, out
    data = json.loads(run("incident", "review", str(incident_id), "--json")[1])
    assert data["summary"] == "A false rumour.\nHandled in 2 hours."
    assert data["causes"] == ["Late lab results"]
    assert [(a["text"], a["due_at"]) for a in data["actions"]] == [
        ("Holding statement in zh", "2026-12-20T10:00:00+00:00")
    ]

    # editing again: the form holds the stored review, and marking item 1 done records who
    edit.write_text("SUBST state: open => state: done\n", encoding="utf-8")
    code, out = run("incident", "review", str(incident_id), "--by", "Bo")
    assert code == 0 and out.strip().endswith("saved: action item(s) #1 changed"), out
    item = json.loads(run("actions", "--all", "--json")[1])[0]
    assert (item["state"], item["state_changed_by"]) == ("done", "Bo")
    seen = (tmp_path / "seen.yaml").read_text(encoding="utf-8")
    assert "summary: |-\n  A false rumour.\n  Handled in 2 hours.\n" in seen
    assert "- id: 1\n" in seen and "due: 2026-12-20 18:00 UTC+8" in seen
    edit.write_text("SUBST - id: 1 => - id: 7\n", encoding="utf-8")
    code, out = run("incident", "review", str(incident_id), "--by", "Bo")
    assert code == 1 and re.search(
        r"error: review form:\d+: actions\[0\]\.id: no action item "
        r"#7 in this review \(leave id out for a new item\)",
        out,
    )


def test_unchanged_editor_leaves_the_review_alone(
    run: Run, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident_id = open_incident(config_file, resolved=False)
    monkeypatch.setenv("EDITOR", "true")
    monkeypatch.delenv("VISUAL", raising=False)
    code, out = run("incident", "review", str(incident_id), "--by", "Ana")
    assert code == 0 and out.strip() == f"review of incident #{incident_id} unchanged"
    form = tmp_path / "form.yaml"
    form.write_text("summary: x\n", encoding="utf-8")
    code, out = run(
        "incident", "review", str(incident_id), "--by", "Ana", "--form", str(form), "--cause", "y"
    )
    assert code == 1 and out.strip() == (
        "error: --form replaces the whole review: give it without the edit options"
    )
    code, out = run("incident", "review", str(incident_id), "--by", "Ana", "--form", str(form))
    assert code == 0 and out.strip() == f"review of incident #{incident_id} saved: summary"


HOSTILE = "<script>alert('x')</script> & ]]> **bold** | pipe"


def test_exports_escape_everything(run: Run, config_file: Path, tmp_path: Path) -> None:
    incident_id = open_incident(config_file)
    assert (
        run(
            "incident",
            "review",
            str(incident_id),
            "--by",
            "<b>Ana</b>",
            "--summary",
            HOSTILE,
            "--cause",
            HOSTILE,
            "--action",
            HOSTILE,
            "--owner",
            "Wen & Bo",
            "--due",
            "2026-12-20",
        )[0]
        == 0
    )
    out_file = tmp_path / "review.xhtml"
    code, out = run(
        "incident", "review", str(incident_id), "--export", "confluence", "-o", str(out_file)
    )
    assert code == 0 and out.strip() == f"wrote {out_file}"
    page = out_file.read_text(encoding="utf-8")
    assert "<script>" not in page and "]]>" not in page and "<b>Ana" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; ]]&gt;" in page
    assert "<td>Wen &amp; Bo</td>" in page and "2026-12-20 23:59 UTC+8" in page
    import xml.etree.ElementTree as ET

    ET.fromstring(f"<root>{page}</root>")  # well-formed XHTML
    for heading in (
        "Summary",
        "Timeline",
        "Causes",
        "What went well",
        "What went badly",
        "Action items",
        "Proposed playbook and script revisions",
    ):
        assert f"<h2>{heading}</h2>" in page
    code, md = run("incident", "review", str(incident_id), "--export", "md")
    assert code == 0 and md.startswith(f"# Review (复盘): incident #{incident_id}: ")
    assert "\\<script\\>" in md and "\\*\\*bold\\*\\* \\| pipe" in md and "<script>" not in md
    assert "## Timeline" in md and "## Action items" in md
    assert run("incident", "review", str(incident_id), "-o", "x.md")[0] == 1


def _jira_config(config_file: Path, url: str) -> None:
    config_file.write_text(
        CONFIG + "integrations:\n  jira: {url: '" + url + "', project: OPS, "
        "user_env: JIRA_USER, token_env: JIRA_TOKEN}\n",
        encoding="utf-8",
    )


def test_push_to_jira_once_and_name_a_refused_action(
    run: Run, config_file: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident_id = open_incident(config_file)
    assert (
        run(
            "incident",
            "review",
            str(incident_id),
            "--by",
            "Ana",
            "--action",
            "Zh statement",
            "--action",
            "Lab turnaround",
            "--owner",
            "Wen",
            "--due",
            "2026-12-20",
        )[0]
        == 0
    )
    code, out = run("action", "push")
    assert code == 1 and out.strip() == (
        "error: integrations.jira is not configured (see docs/configuration.md)"
    )
    _jira_config(config_file, httpserver.url_for("/jira"))
    code, out = run("action", "push")
    assert code == 1 and out.strip() == (
        "error: integrations.jira.token_env: environment variable JIRA_TOKEN is not set"
    )
    monkeypatch.setenv("JIRA_USER", "ana@acme.example")
    monkeypatch.setenv("JIRA_TOKEN", "s3cret")
    received: list[dict[str, object]] = []

    def create(request: Request) -> Response:
        body = json.loads(request.data)
        received.append({"auth": request.headers.get("Authorization"), **body})
        if body["fields"]["summary"] == "Lab turnaround":
            return Response(
                json.dumps(
                    {
                        "errorMessages": [],
                        "errors": {
                            "duedate": "Field 'duedate' cannot be set. "
                            "It is not on the appropriate screen"
                        },
                    }
                ),
                status=400,
                content_type="application/json",
            )
        return Response(
            json.dumps({"id": "10001", "key": "OPS-17", "self": "x"}),
            status=201,
            content_type="application/json",
        )

    httpserver.expect_request("/jira/rest/api/2/issue", method="POST").respond_with_handler(create)
    code, out = run("action", "push")
    assert code == 1
    assert out.splitlines() == [
        "action item #1 -> OPS-17",
        "error: action #2 (Lab turnaround): Jira refused it (HTTP 400): duedate: Field "
        "'duedate' cannot be set. It is not on the appropriate screen",
        "1 issue created in Jira, 1 refused",
    ]
    fields = received[0]["fields"]
    assert isinstance(fields, dict)
    assert fields["project"] == {"key": "OPS"} and fields["issuetype"] == {"name": "Task"}
    assert fields["duedate"] == "2026-12-20" and fields["summary"] == "Zh statement"
    assert "Owner: Wen" in fields["description"] and "s3cret" not in json.dumps(received)
    assert received[0]["auth"] == "Basic YW5hQGFjbWUuZXhhbXBsZTpzM2NyZXQ="
    items = json.loads(run("actions", "--json")[1])
    assert [(a["id"], a["jira_key"]) for a in items] == [(1, "OPS-17"), (2, None)]
    assert "OPS-17" in run("actions")[1]
    # the second push sends only the item without a key
    code, out = run("action", "push", "1")
    assert code == 0 and out.splitlines() == [
        "action item #1 is already in Jira as OPS-17",
        "0 issues created in Jira, 1 already there",
    ]
    assert len(received) == 2
    code, out = run("action", "push", "5")
    assert code == 1 and out.strip() == "error: no action item #5"


def test_jira_settings_are_checked_with_their_lines(tmp_path: Path) -> None:
    from config.loader import ConfigError
    from monitor.config_check import check_configuration

    path = tmp_path / "c.yaml"
    path.write_text(
        CONFIG + "integrations:\n  jira:\n    url: https://acme.atlassian.net\n"
        "    project: ops\n    token_env: JIRA_TOKEN\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert raised.value.problems == [
        f"{path}:16: integrations.jira.project: String should match pattern "
        "'^[A-Z][A-Z0-9_]{0,31}$', got 'ops'"
    ]
    path.write_text(path.read_text(encoding="utf-8").replace("ops", "OPS"), encoding="utf-8")
    config = load_config(path)
    findings = check_configuration(config, environ={})
    assert [config.describe(f) for f in findings if f.loc[0] == "integrations"] == [
        f"{path}:17: integrations.jira.token_env: environment variable JIRA_TOKEN is not set"
    ]
    assert not [
        f
        for f in check_configuration(config, environ={"JIRA_TOKEN": "t"})
        if f.loc[0] == "integrations"
    ]


def test_push_with_api_3_sends_a_document_and_a_bearer_token(
    run: Run, config_file: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident_id = open_incident(config_file)
    assert (
        run(
            "incident",
            "review",
            str(incident_id),
            "--by",
            "Ana",
            "--action",
            "Zh FAQ",
            "--owner",
            "Wen",
            "--due",
            "7d",
        )[0]
        == 0
    )
    config_file.write_text(
        CONFIG + "integrations:\n  jira: {url: '" + httpserver.url_for("/") + "', project: OPS,"
        " issue_type: Story, token_env: JIRA_PAT, api_version: 3, due_date: false}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("JIRA_PAT", "pat-1")
    httpserver.expect_oneshot_request(
        "/rest/api/3/issue", method="POST", headers={"Authorization": "Bearer pat-1"}
    ).respond_with_json({"key": "OPS-2"}, status=201)
    code, out = run("action", "push")
    assert code == 0 and out.splitlines() == ["action item #1 -> OPS-2", "1 issue created in Jira"]
    ((request, _),) = httpserver.log
    fields = json.loads(request.data)["fields"]
    assert "duedate" not in fields and fields["issuetype"] == {"name": "Story"}
    document = fields["description"]
    assert document["type"] == "doc" and document["version"] == 1
    texts = [p["content"][0]["text"] for p in document["content"]]
    assert texts[:2] == ["Zh FAQ", "Owner: Wen"] and all(t.strip() for t in texts)
