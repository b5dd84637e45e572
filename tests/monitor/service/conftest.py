"""Fixtures for the service tests: configurations, apps on private databases, a settable clock,
local feed servers and a way to start ``crisiswatch run`` as a subprocess.

(The suite runs with --import-mode=importlib, so helpers are fixtures, not imports.)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from config.loader import LoadedConfig, load_config
from monitor.app import App, build_app

REPO = Path(__file__).resolve().parents[3]
# Registers `run` and `health` itself until the lead adds cli_run.register to monitor.cli.
CLI = (
    "from monitor.cli import cli\n"
    "from monitor import cli_run\n"
    "if 'run' not in cli.commands: cli_run.register(cli)\n"
    "cli(prog_name='crisiswatch')\n"
)
HEADER = """\
version: 1
organisation: {name: Acme, timezone: Europe/London}
entities:
  - {id: acme, name: Acme, kind: brand, aliases: [Acme, 艾克美]}
"""


@dataclass
class ShiftClock:
    """A clock standing still at ``now`` (start: the real time) until the test moves it; the
    scheduler fires in real time, the jobs see this time."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture()
def write_config(tmp_path: Path) -> Callable[[str], LoadedConfig]:
    """Write HEADER + ``body`` as tmp_path/cw.yaml (database in tmp_path) and load it."""

    def write(body: str) -> LoadedConfig:
        path = tmp_path / "cw.yaml"
        text = HEADER + f"storage: {{data_dir: {tmp_path / 'data'}}}\n" + body
        path.write_text(text, encoding="utf-8")
        return load_config(path)

    return write


@pytest.fixture()
def open_app() -> Iterator[Callable[..., App]]:
    """Build apps that are closed after the test."""
    apps: list[App] = []

    def build(config: LoadedConfig, **kwargs: Any) -> App:
        app = build_app(config, **kwargs)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close()


def rss(items: list[tuple[str, str]], *, title: str = "feed") -> bytes:
    """An RSS document with (guid, text) items."""
    when = format_datetime(datetime.now(UTC) - timedelta(minutes=5))
    body = "".join(
        f"<item><title>{text}</title><guid isPermaLink=\"false\">{guid}</guid>"
        f"<pubDate>{when}</pubDate>"
        f"<description>{text}</description></item>"
        for guid, text in items
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{title}</title>{body}</channel></rss>").encode()


@dataclass
class FeedServer:
    """Serves ``feeds[path]`` (bytes, changeable at any time) on 127.0.0.1."""

    feeds: dict[str, bytes] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                body = owner.feeds.get(self.path)
                owner.hits[self.path] = owner.hits.get(self.path, 0) + 1
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.close()


@pytest.fixture()
def free_port() -> Callable[[], int]:
    def pick() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    return pick


@pytest.fixture()
def cli_process(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start ``crisiswatch --config <config> <args>``; every process is killed afterwards."""
    started: list[subprocess.Popen[str]] = []

    def start(config: Path, *args: str, env: dict[str, str] | None = None,
              log: Path | None = None) -> subprocess.Popen[str]:
        environ = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
        out = log.open("w", encoding="utf-8") if log is not None else subprocess.PIPE
        proc = subprocess.Popen(
            [sys.executable, "-c", CLI, "--config", str(config), *args],
            cwd=tmp_path, env=environ, stdout=out, stderr=subprocess.STDOUT, text=True,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


@pytest.fixture()
def shift_clock() -> ShiftClock:
    """Real time plus an offset the test moves on."""
    return ShiftClock()


@pytest.fixture()
def rss_doc() -> Callable[..., bytes]:
    """``rss([(guid, text), ...])`` -> an RSS document."""
    return rss
