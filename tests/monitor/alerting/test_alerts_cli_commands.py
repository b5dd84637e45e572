"""The alerts and channels commands against a local Slack server and a private database."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from alerts.testing import FakeSlackServer
from monitor.cli.alerts import register
from monitor.cli.main import cli as root

Run = Callable[..., tuple[int, str]]


def one_line(out: str) -> str:
    """The output, which must be a single line (user mistakes never print a traceback)."""
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    return lines[0]


@pytest.fixture()
def server() -> Iterator[FakeSlackServer]:
    with FakeSlackServer(token="xoxb-cli", channels={"#risk-alerts": "C0RISK"}) as fake:
        yield fake


@pytest.fixture()
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeSlackServer,
        db_url: str) -> Run:
    """Invoke ``crisiswatch`` (with the alerts commands registered) on a test config."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CW_TEST_SLACK", "xoxb-cli")
    monkeypatch.delenv("CW_TEST_MISSING", raising=False)
    config = tmp_path / "crisiswatch.yaml"
    config.write_text(
        f"""
version: 1
organisation: {{name: Acme}}
entities:
  - {{id: acme, name: Acme, kind: brand}}
channels:
  slack: {{kind: slack, channel: "#risk-alerts", token_env: CW_TEST_SLACK,
          base_url: "{server.base_url}"}}
  slack-bad: {{kind: slack, channel: "#no-such", token_env: CW_TEST_SLACK,
              base_url: "{server.base_url}"}}
  broken: {{kind: slack, channel: "#risk-alerts", token_env: CW_TEST_MISSING}}
  quiet: {{kind: console, enabled: false}}
people:
  - {{id: li.na, name: Li Na, contacts: {{slack: U111}}}}
  - {{id: wang.wei, name: Wang Wei}}
""",
        encoding="utf-8",
    )
    group = click.Group(name="crisiswatch", params=root.params, callback=root.callback,
                        commands=dict(root.commands))
    register(group)
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(group, ["-c", str(config), "--database", db_url, *args],
                               catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def test_dead_letter_is_listed_with_its_reason_and_retried(
    run: Run, outbox: Any, server: FakeSlackServer
) -> None:
    incident = outbox.incident()
    (bad,) = outbox.enqueue(incident, channels=("slack-bad",))
    (good,) = outbox.enqueue(incident, channels=("slack",))
    code, out = run("alerts", "send")
    assert code == 1 and out.splitlines() == [
        "2 alerts: sent 1, dead 1",
        "error: 1 alert dead-lettered: see `crisiswatch alerts --failed`",
    ]
    code, out = run("alerts", "--failed")
    assert code == 0
    assert out.splitlines()[0].startswith(f"#{bad:<6} dead       slack-bad")
    assert "reason: slack: channel_not_found for #no-such (not retryable)" in out
    assert f"#{good} " not in out

    code, out = run("alerts", "retry", str(bad))
    assert code == 0 and out.startswith(f"re-queued 1 alert(s): #{bad};")
    code, out = run("alerts", "--pending", "--json")
    (row,) = json.loads(out)
    assert (row["id"], row["status"], row["attempts"]) == (bad, "pending", 0)
    assert "previously: slack: channel_not_found" in row["last_error"]
    code, out = run("alerts", "retry", str(bad))
    assert code == 1 and one_line(out).endswith(
        f"error: alert {bad}: is pending, only dead alerts are retried"
    )
    code, out = run("alerts", "--failed")
    assert out.strip() == "no failed alerts"


def test_retry_all_failed_and_argument_errors(run: Run, outbox: Any) -> None:
    incident = outbox.incident()
    outbox.enqueue(incident, channels=("broken",))
    outbox.enqueue(incident, channels=("nowhere",))
    outbox.enqueue(incident, channels=("quiet",))
    code, out = run("alerts", "send", "--json")
    json_text, error = out.rsplit("\n", 2)[:2]  # the error line follows the JSON counts
    assert code == 1 and error.startswith("error: 2 alerts dead-lettered")
    stats = json.loads(json_text)
    assert (stats["dead"], stats["suppressed"], stats["sent"]) == (2, 1, 0)
    code, out = run("alerts", "--failed")
    assert "reason: channel 'nowhere' is not configured" in out
    assert "reason: channel 'broken' is not usable: environment variable CW_TEST_MISSING" in out
    code, out = run("alerts", "retry")
    assert code == 1
    assert one_line(out).endswith("error: give an alert id or --all-failed (not both)")
    code, out = run("alerts", "retry", "--all-failed")
    assert code == 0 and out.startswith("re-queued 2 alert(s)")
    code, out = run("alerts", "retry", "999")
    assert code == 1 and one_line(out).endswith("error: alert 999: no such alert")


def test_list_filters_and_json(run: Run, outbox: Any, server: FakeSlackServer) -> None:
    first, second = outbox.incident(), outbox.incident()
    outbox.enqueue(first, channels=("slack",))
    outbox.clock.advance(1)
    outbox.enqueue(second, channels=("slack",))
    assert run("alerts", "send")[0] == 0
    code, out = run("alerts", "--incident", str(second), "--json")
    (row,) = json.loads(out)
    assert row["incident_id"] == second and row["status"] == "sent"
    assert row["remote_id"] == server.messages[1]["ts"]
    code, out = run("alerts", "--limit", "1")
    assert len(out.splitlines()) == 1 and f"incident {second}" in out
    assert run("alerts", "--pending")[1].strip() == "no pending alerts"


def test_alerts_test_sends_a_harmless_message(run: Run, server: FakeSlackServer) -> None:
    code, out = run("alerts", "test", "slack")
    assert code == 0, out
    assert out.startswith("slack (slack): test message delivered (message 1700000000.")
    (call,) = server.calls("chat.postMessage")
    blocks = call.json["blocks"]
    assert blocks[0]["text"]["text"].startswith("[DRILL] LOW")
    assert not any(b["type"] == "actions" for b in blocks)  # nothing to press
    code, out = run("alerts", "test", "slack-bad")
    assert code == 1 and one_line(out).endswith(
        "error: test message not delivered: slack: channel_not_found for #no-such (not retryable)"
    )
    code, out = run("alerts", "test", "broken")
    assert code == 1 and "error: channel 'broken' (slack): environment variable" in one_line(out)
    code, out = run("alerts", "test", "pager")
    assert code == 1 and "configured: broken, quiet, slack, slack-bad" in one_line(out)


def test_alerts_test_mentions_people_by_their_handle(run: Run, server: FakeSlackServer) -> None:
    code, out = run("alerts", "test", "slack", "--mention", "li.na", "--mention", "wang.wei")
    assert code == 0, out
    (call,) = server.calls("chat.postMessage")
    assert call.json["text"].startswith("<@U111> Wang Wei [DRILL] LOW")
    code, out = run("alerts", "test", "slack", "--mention", "lina")
    assert code == 1
    assert one_line(out) == "error: --mention: unknown person 'lina' (did you mean 'li.na'?)"


def test_channels_lists_kinds_and_problems(run: Run) -> None:
    code, out = run("channels")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].split() == ["slack", "slack", "enabled", "ok"]
    assert lines[2].split()[:4] == ["broken", "slack", "enabled", "1"]
    assert lines[3].strip().startswith("channels.broken.token_env: environment variable")
    assert lines[4].split() == ["quiet", "console", "disabled", "ok"]
    code, out = run("channels", "--json")
    data = json.loads(out)
    assert [c["name"] for c in data["channels"]] == ["slack", "slack-bad", "broken", "quiet"]
