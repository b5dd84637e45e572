"""Where the console is served: by `crisiswatch run` (unless --no-web) and `crisiswatch web`,
stopping cleanly; and the address alerts link to by default."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.app import App
from monitor.service.jobs import JobSet
from monitor.service.runner import RunReport, run_service
from monitor.web.server import WebServer, start_console
from monitor.web.testing import with_web

CRISISWATCH = Path(sys.executable).with_name("crisiswatch")


def test_run_service_serves_the_console_and_stops_it(app: App) -> None:
    with_web(app, port=0)
    stop, started, report = threading.Event(), list[WebServer](), list[RunReport]()

    def console() -> WebServer | None:
        server = start_console(app)
        assert server is not None
        started.append(server)
        return server

    thread = threading.Thread(target=lambda: report.append(run_service(
        app, stop=stop, health_port=None, jobs=JobSet(jobs=[]), web=console)))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started, "the console did not start"
        url = f"http://127.0.0.1:{started[0].port}"
        login = httpx.get(f"{url}/login", timeout=10)
        assert login.status_code == 200 and 'name="password"' in login.text
        assert httpx.get(f"{url}/account", timeout=10).headers["location"] == (
            "/login?next=/account")
    finally:
        stop.set()
        thread.join(60)
    assert report and report[0].clean
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/login", timeout=2)


def test_no_console_when_web_port_is_null(app: App) -> None:
    assert start_console(with_web(app, port=None)) is None


def test_alerts_link_to_the_console_by_default(app: App) -> None:
    assert app.incidents.dashboard_url == "http://127.0.0.1:8765/"
    settings = app.settings
    web, alerting = settings.web, settings.alerting

    def link(**changes: Any) -> str | None:
        fixed = {k: v for k, v in changes.items() if k != "dashboard_url"}
        shaped = settings.model_copy(update={
            "web": web.model_copy(update=fixed),
            "alerting": alerting.model_copy(update={"dashboard_url": changes.get("dashboard_url")}),
        })
        return shaped.dashboard_url()

    assert link() == "http://127.0.0.1:8765/"
    assert link(host="0.0.0.0", port=9000) == "http://127.0.0.1:9000/"  # noqa: S104
    assert link(host="::1") == "http://[::1]:8765/"
    assert link(public_url="https://cw.example.com/console") == "https://cw.example.com/console/"
    assert link(public_url="https://cw.example.com", dashboard_url="https://other.example/") == (
        "https://other.example/")
    assert link(port=None) is None and link(port=0) is None
    assert link(port=0, public_url="https://cw.example.com/") == "https://cw.example.com/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _folder(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISISWATCH_")}
    subprocess.run([str(CRISISWATCH), "init", "."], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    with (tmp_path / "crisiswatch.yaml").open("a", encoding="utf-8") as config:
        config.write(f"\nweb: {{port: {port}}}\n")
    return env


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/login", timeout=5).status_code == 200
    except httpx.ConnectError:
        return False


@pytest.mark.skipif(not CRISISWATCH.is_file(), reason="needs the crisiswatch console script")
@pytest.mark.parametrize("no_web", [True, False])
def test_crisiswatch_run_serves_the_console_unless_no_web(tmp_path: Path, no_web: bool) -> None:
    port = _free_port()
    env = _folder(tmp_path, port)
    args = [str(CRISISWATCH), "run", "--health-port", "0"] + (["--no-web"] if no_web else [])
    with subprocess.Popen(args, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True) as run:
        assert run.stderr is not None
        try:
            for line in run.stderr:
                if "crisiswatch running as" in line:
                    break
            else:
                pytest.fail(f"run stopped: {run.wait()}")
            assert _answers(port) is not no_web
        finally:
            run.send_signal(signal.SIGTERM)
            rest = run.stderr.read()
        assert run.wait(60) == 0, rest[-2000:]
    assert not _answers(port)


@pytest.mark.skipif(not CRISISWATCH.is_file(), reason="needs the crisiswatch console script")
def test_crisiswatch_web_says_where_it_listens_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = _folder(tmp_path, 8765)
    with subprocess.Popen([str(CRISISWATCH), "web", "--port", "0"], cwd=tmp_path, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as web:
        assert web.stdout is not None
        try:
            first = web.stdout.readline()
            assert first.startswith("web console on http://127.0.0.1:"), first
            url = first.split()[3].rstrip("/")
            assert web.stdout.readline().startswith("no users yet: add one with `crisiswatch "
                                                    "users add NAME --role admin`")
            assert httpx.get(f"{url}/healthz", timeout=5).json() == {"status": "ok"}
            assert httpx.get(f"{url}/login", timeout=5).status_code == 200
        finally:
            web.send_signal(signal.SIGINT)
        assert web.wait(30) == 0, web.stderr.read()  # type: ignore[union-attr]


@pytest.mark.skipif(not CRISISWATCH.is_file(), reason="needs the crisiswatch console script")
def test_a_taken_port_is_one_line_for_web_and_run(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        env = _folder(tmp_path, port)
        for args in (["web"], ["run", "--health-port", "0"]):
            done = subprocess.run([str(CRISISWATCH), *args], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 1, done.stderr[-2000:]
            assert done.stderr.splitlines()[-1] == (
                f"error: the web console could not listen on 127.0.0.1:{port} (in use? set "
                "web.port, or pass --no-web / --port)")
            assert "Traceback" not in done.stderr


@pytest.mark.parametrize("key", ["session_lifetime", "login_window", "live_interval"])
def test_web_durations_must_be_positive(key: str) -> None:
    from pydantic import ValidationError

    from config.schema import WebSettings

    with pytest.raises(ValidationError, match="must be longer than 0s"):
        WebSettings.model_validate({key: "0s"})
    assert getattr(WebSettings.model_validate({key: "1s"}), key).total_seconds() == 1
