"""Fixtures for the service tests: configurations, apps on private databases, a settable clock,
local feed servers and a way to start ``crisiswatch run`` as a subprocess.

(The suite runs with --import-mode=importlib, so helpers are fixtures, not imports.)
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from config.loader import LoadedConfig, load_config
from monitor.app import App, build_app
from monitor.service.testing import CLI_COMMAND, FeedServer, rss
from monitor.service.testing import free_port as free_tcp_port

REPO = Path(__file__).resolve().parents[3]
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


@pytest.fixture()
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.close()


@pytest.fixture()
def free_port() -> Callable[[], int]:
    return free_tcp_port


@pytest.fixture()
def cli_process(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start ``crisiswatch --config <config> <args>``; every process is killed afterwards."""
    started: list[subprocess.Popen[str]] = []

    def start(config: Path, *args: str, env: dict[str, str] | None = None,
              log: Path | None = None) -> subprocess.Popen[str]:
        environ = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
        out = log.open("w", encoding="utf-8") if log is not None else subprocess.PIPE
        proc = subprocess.Popen(
            [*CLI_COMMAND, "--config", str(config), *args],
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
