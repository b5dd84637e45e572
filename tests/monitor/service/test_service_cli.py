"""`crisiswatch run --once` and `crisiswatch health`."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from monitor.cli import run as cli_run
from monitor.cli.main import cli
from monitor.db.engine import make_engine, session_factory
from monitor.db.migrate import ensure_schema
from monitor.service.health import HealthProbe, HealthServer, ServiceStatus
from monitor.service.leader import SqliteInstanceLock

CONFIG = """\
sources:
  - {id: alpha, kind: rss, url: feeds/alpha.xml}
  - {id: broken, kind: rss, url: feeds/missing.xml}
service: {health_port: null}
"""


@pytest.fixture()
def crisiswatch() -> Iterator[click.Group]:
    if "run" not in cli.commands:
        cli_run.register(cli)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield cli
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def test_run_once_runs_every_job_in_order(
    crisiswatch: click.Group, write_config: Callable[[str], Any], tmp_path: Path,
    rss_doc: Callable[..., bytes],
) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "alpha.xml").write_bytes(rss_doc([("a1", "Acme opens a store")]))
    loaded = write_config(CONFIG)
    result = CliRunner().invoke(crisiswatch, ["--config", str(loaded.path), "run", "--once",
                                              "--json"])
    assert result.exit_code == 1, result.output  # a step failed: the broken feed
    rows = json.loads(result.stdout)
    assert [r["key"] for r in rows] == ["poll:alpha", "poll:broken", "escalation", "dispatch"]
    assert rows[0]["result"]["new"] == 1 and rows[0]["ok"]
    assert not rows[1]["ok"] and "missing.xml" in rows[1]["result"]["error"]  # recorded
    assert rows[1]["error"] == rows[1]["result"]["error"]
    assert result.stderr.splitlines()[-1] == "error: 1 of 4 steps failed: poll:broken"
    (tmp_path / "feeds" / "missing.xml").write_bytes(rss_doc([("m1", "Acme news")]))
    again = CliRunner().invoke(crisiswatch, ["--config", str(loaded.path), "run", "--once"])
    assert again.exit_code == 0
    assert "poll:alpha: seen 1, new 0, duplicate 1" in again.stdout


def test_run_refuses_a_second_instance_on_sqlite(
    crisiswatch: click.Group, write_config: Callable[[str], Any], tmp_path: Path,
) -> None:
    loaded = write_config(CONFIG)
    lock = SqliteInstanceLock(tmp_path / "data" / "crisiswatch.sqlite").acquire()
    try:
        result = CliRunner().invoke(crisiswatch, ["--config", str(loaded.path), "run", "--once"])
    finally:
        lock.release()
    assert result.exit_code == 1
    assert "another crisiswatch instance" in result.output
    assert "Traceback" not in result.output


@pytest.fixture()
def health_server(tmp_path: Path) -> Iterator[Callable[[int], str]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'h.sqlite'}")
    ensure_schema(engine)
    servers: list[HealthServer] = []

    def serve(alive: int) -> str:
        probe = HealthProbe(session_factory(engine), lambda: datetime.now(UTC), {})
        probe.refresh()
        status = ServiceStatus(instance="host:1:ab", role=lambda: "single",
                               scheduler_running=lambda: True, workers_alive=lambda: alive,
                               workers_expected=2)
        server = HealthServer(host="127.0.0.1", port=0, probe=probe, status=status,
                              metrics=lambda: b"").start()
        servers.append(server)
        return f"http://127.0.0.1:{server.port}/healthz"

    yield serve
    for server in servers:
        server.close()
    engine.dispose()


def test_health_command(crisiswatch: click.Group, health_server: Callable[[int], str],
                        write_config: Callable[[str], Any]) -> None:
    loaded = write_config(CONFIG)
    ok = CliRunner().invoke(crisiswatch, ["--config", str(loaded.path), "health",
                                          "--url", health_server(2)])
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.splitlines()[0] == "ok: single host:1:ab"
    assert "workers: 2/2 alive" in ok.stdout
    assert "alerts: 0 dead-lettered, 0 retrying" in ok.stdout
    bad = CliRunner().invoke(crisiswatch, ["health", "--url", health_server(1), "--json"])
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["problems"] == ["workers: 1 of 2 alive"]
    gone = CliRunner().invoke(crisiswatch, ["--config", str(loaded.path), "health"])
    assert gone.exit_code == 1 and "health_port is null" in gone.output
    any_port = write_config(CONFIG.replace("health_port: null", "health_port: 0"))
    unknown = CliRunner().invoke(crisiswatch, ["--config", str(any_port.path), "health"])
    assert unknown.exit_code == 1 and "health_port is 0 (any free port)" in unknown.output
    nobody = CliRunner().invoke(crisiswatch, ["health", "--url", "http://127.0.0.1:9/healthz",
                                              "--timeout", "1"])
    assert nobody.exit_code == 1 and "is `crisiswatch run` running?" in nobody.output


def test_slack_buttons_drive_the_incident_lifecycle(
    write_config: Callable[[str], Any], open_app: Callable[..., Any],
) -> None:
    from alerts.testing import FakeSlackServer
    from monitor.db.models import Incident
    from monitor.service.slack import start_buttons

    slack = FakeSlackServer()
    slack.start()
    loaded = write_config(
        "channels:\n"
        f"  risk: {{kind: slack, channel: '#risk', token_env: CW_BOT,\n"
        f"          base_url: '{slack.base_url}'}}\n"
        "alerting: {slack_app_token_env: CW_APP}\n"
    )
    app = open_app(loaded)
    now = datetime.now(UTC)
    with app.sessions.begin() as session:
        incident = Incident(
            entity_id="acme", category="product_safety", state="open", grade="high",
            peak_grade="high", likelihood=4, impact=4, reasons=[], title="t", first_seen_at=now,
            last_seen_at=now, opened_at=now, updated_at=now, mention_count=1, negative_count=1,
            neutral_count=0, positive_count=0, reach_total=0, top_sources=[], top_authors=[],
            drill=False,
        )
        session.add(incident)
        session.flush()
        incident_id = incident.id
    connected: dict[str, Any] = {}
    sentinel: Any = object()

    def runner(**kwargs: Any) -> Any:
        connected.update(kwargs)
        return sentinel

    handle = start_buttons(app, environ={"CW_BOT": "xoxb-1", "CW_APP": "xapp-1"}, runner=runner)
    assert handle is sentinel
    assert connected["app_token_env"] == "CW_APP" and connected["bot_token_env"] == "CW_BOT"
    reply = connected["on_action"]("acknowledge", str(incident_id), "U123")
    assert "acknowledged" in reply
    reply = connected["on_action"]("resolve", str(incident_id), "U123")
    assert "resolved" in reply
    with app.sessions() as session:
        stored = session.get(Incident, incident_id)
        assert stored is not None and stored.state == "resolved"
        # the presser's display name, looked up once with users.info
        assert stored.acknowledged_by == stored.resolved_by == "slack:U123 (User U123)"
    assert len(slack.calls("users.info")) == 1
    slack.stop()
