"""Exit statuses: storage that cannot be used is one line and status 2 for every command; a
failed step (feed, inbox file, dead-lettered alert) is status 1 with a summary that adds up."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from alerts.testing import FakeResponse, WebhookRecorder
from monitor.service.testing import NOTIFY_PLAYBOOK, FeedServer, free_port, rss

Crisiswatch = Callable[..., Result]

COMMANDS = [
    ("incidents",),
    ("run", "--once"),
    ("db", "upgrade"),
    ("db", "current"),
    ("poll",),
    ("sources",),
    ("alerts", "send"),
    ("digest",),
    ("ack", "1", "--by", "Mei"),
]


def one_line(result: Result) -> str:
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_unreachable_database_is_one_line_and_status_2(
    crisiswatch: Crisiswatch, args: tuple[str, ...]
) -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x"
    result = crisiswatch("--database", url, *args)
    assert result.exit_code == 2
    line = one_line(result)
    assert line.startswith("error: database: connection failed: ")
    assert "Connection refused" in line


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("data_dir", ["a-file", "a-file/below"])
def test_data_dir_that_cannot_be_created_is_one_line_and_status_2(
    crisiswatch: Crisiswatch, tmp_path: Path, args: tuple[str, ...], data_dir: str
) -> None:
    (tmp_path / "a-file").write_text("in the way", encoding="utf-8")
    config = tmp_path / "cw.yaml"
    config.write_text(
        "version: 1\norganisation: {name: X}\n"
        f"storage: {{data_dir: {data_dir}}}\n"
        "entities:\n  - {id: a, name: A, kind: brand}\n",
        encoding="utf-8",
    )
    result = crisiswatch("--config", str(config), *args)
    assert result.exit_code == 2
    reason = "File exists" if data_dir == "a-file" else "Not a directory"
    folder = tmp_path / data_dir
    assert (
        one_line(result) == f"error: cannot create the SQLite database's folder {folder}: {reason}"
    )


@pytest.mark.parametrize("args", [("run", "--once"), ("poll",)], ids=" ".join)
def test_inbox_folder_that_cannot_be_created_is_one_line_and_status_2(
    crisiswatch: Crisiswatch, tmp_path: Path, args: tuple[str, ...]
) -> None:
    (tmp_path / "a-file").write_text("in the way", encoding="utf-8")
    config = tmp_path / "cw.yaml"
    config.write_text(
        "version: 1\norganisation: {name: X}\nstorage: {data_dir: data}\n"
        "inbox: {path: a-file}\nentities:\n  - {id: a, name: A, kind: brand}\n",
        encoding="utf-8",
    )
    result = crisiswatch("--config", str(config), *args)
    assert result.exit_code == 2
    assert (
        one_line(result)
        == f"error: cannot create the inbox folder {tmp_path / 'a-file'}: File exists"
    )


def test_other_storage_errors_are_status_2(
    crisiswatch: Crisiswatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = crisiswatch("--database", "mysql://x/y", "poll")
    assert result.exit_code == 2
    assert one_line(result) == "error: unsupported database 'mysql': use sqlite or postgresql"
    monkeypatch.setitem(sys.modules, "psycopg", None)  # installed without the postgres extra
    result = crisiswatch("--database", "postgresql://u@127.0.0.1/x", "incidents")
    assert result.exit_code == 2
    assert one_line(result).endswith("pip install 'crisiswatch[postgres]'")


RISKY = [
    "{p} battery exploded and burned my hand, dangerous product, I want a refund",
    "My {p} charger caught fire last night, this is a safety hazard, avoid {p}",
    "Second report today: {p} overheating and smoking, unsafe, recall it now",
]


@pytest.fixture()
def failing_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, FeedServer]]:
    """A configuration with a served feed, a feed answering 404, a broken inbox file and a
    playbook that alerts a working file channel and a webhook answering 403 (permanent)."""
    feeds = FeedServer()
    feeds.feeds["/good.xml"] = rss([(f"r{k}", t.format(p="Borlin")) for k, t in enumerate(RISKY)])
    with WebhookRecorder(FakeResponse(403, {"ok": False})) as hook:
        monkeypatch.setenv("CW_TEST_HOOK", f"{hook.url}/hook")
        monkeypatch.setenv("CW_TEST_SECRET", "s")
        (tmp_path / "playbook.yaml").write_text(
            NOTIFY_PLAYBOOK.replace("notify: [risk]\n  - wait", "notify: [risk, hook]\n  - wait"),
            encoding="utf-8",
        )
        (tmp_path / "inbox").mkdir()
        (tmp_path / "inbox" / "broken.xlsx").write_bytes(b"not a zip archive")
        config = tmp_path / "cw.yaml"
        config.write_text(
            f"""\
version: 1
organisation: {{name: Acme, timezone: UTC}}
storage: {{data_dir: data}}
entities:
  - {{id: borlin, name: Borlin, kind: product, aliases: [Borlin]}}
sources:
  - {{id: good, kind: rss, url: '{feeds.url}/good.xml'}}
  - {{id: gone, kind: rss, url: '{feeds.url}/gone.xml'}}
inbox: {{path: inbox, settle: 0s}}
channels:
  risk: {{kind: file, path: alerts.jsonl}}
  hook: {{kind: webhook, url_env: CW_TEST_HOOK, secret_env: CW_TEST_SECRET}}
playbooks: {{paths: [playbook.yaml]}}
alerting: {{group_wait: 0s}}
service: {{health_port: null}}
""",
            encoding="utf-8",
        )
        yield config, feeds
    feeds.close()


def test_run_once_fails_on_a_failed_feed_file_or_alert_and_says_which(
    crisiswatch: Crisiswatch, failing_setup: tuple[Path, FeedServer]
) -> None:
    config, _ = failing_setup
    result = crisiswatch("--config", str(config), "run", "--once")
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "poll:good: seen 3, new 3," in out
    assert "poll:gone: seen 0" in out and "error: HTTP 404 from" in out
    assert "inbox:broken.xlsx: seen 0" in out and "not a valid XLSX file" in out
    assert "dispatch: 2 alerts: sent 1, dead 1\n" in out  # the parts add up to the total
    assert "error: 1 alert dead-lettered: see `crisiswatch alerts --failed`" in out
    assert result.stderr.splitlines()[-1] == (
        "error: 3 of 5 steps failed: poll:gone, inbox:broken.xlsx, dispatch"
    )
    again = crisiswatch("--config", str(config), "run", "--once", "--json")
    assert again.exit_code == 1
    steps = {r["key"]: r for r in json.loads(again.stdout)}
    assert [k for k, r in steps.items() if not r["ok"]] == ["poll:gone"]
    assert steps["poll:gone"]["result"]["error"] == steps["poll:gone"]["error"]
    assert steps["dispatch"]["ok"] and steps["poll:good"]["result"]["duplicate"] == 3


def test_poll_fails_when_any_source_or_inbox_file_fails(
    crisiswatch: Crisiswatch, failing_setup: tuple[Path, FeedServer]
) -> None:
    config, feeds = failing_setup
    result = crisiswatch("--config", str(config), "poll")
    assert result.exit_code == 1
    assert "good: seen 3, new 3" in result.stdout
    assert result.stderr.strip() == ("error: 2 of 3 failed: gone, inbox broken.xlsx")
    assert crisiswatch("--config", str(config), "poll", "good").exit_code == 0
    feeds.feeds["/gone.xml"] = rss([("x1", "Borlin is back")])
    assert crisiswatch("--config", str(config), "poll").exit_code == 0


def test_alerts_send_fails_on_a_dead_lettered_alert(
    crisiswatch: Crisiswatch, failing_setup: tuple[Path, FeedServer]
) -> None:
    config, _ = failing_setup
    assert crisiswatch("--config", str(config), "poll", "good").exit_code == 0
    result = crisiswatch("--config", str(config), "alerts", "send")
    assert result.exit_code == 1
    assert result.stdout == "2 alerts: sent 1, dead 1\n"
    assert result.stderr.strip() == (
        "error: 1 alert dead-lettered: see `crisiswatch alerts --failed`"
    )
    result = crisiswatch("--config", str(config), "alerts", "send")
    assert (result.exit_code, result.stdout) == (0, "no alerts due\n")
