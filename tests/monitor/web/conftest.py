"""Fixtures of the console's tests: the example app, a logged-in client, a live server and a
real browser (Debian's chromium driven by Playwright; skipped, saying why, without it)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from config.loader import example_config_path, load_config
from monitor.app import App, open_app
from monitor.web.app import create_web_app
from monitor.web.server import WebServer
from monitor.web.testing import add_user, api_token, log_in, web_client

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture()
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        empty_database: Path) -> Iterator[App]:
    """The bundled example configuration on a private SQLite file (a copy of an empty database
    migrated once per session: migrating each test's own took most of its time)."""
    monkeypatch.chdir(tmp_path)
    config = load_config(example_config_path())
    folder = tmp_path / config.settings.storage.data_dir
    folder.mkdir(parents=True, exist_ok=True)  # a test may have put files there already
    if not (folder / empty_database.name).exists():
        shutil.copy(empty_database, folder / empty_database.name)
    with open_app(config) as built:
        yield built


@pytest.fixture(scope="session")
def empty_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's database, migrated and empty, made once per test session."""
    folder = tmp_path_factory.mktemp("empty")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        with open_app(load_config(example_config_path())) as built:
            database = Path(built.settings.storage.data_dir) / "crisiswatch.sqlite"
    return folder / database


@pytest.fixture()
def client(app: App) -> TestClient:
    """A client logged in as ``ada`` (admin, acting as the configured person li.na);
    ``client.csrf`` is the login's CSRF token."""
    add_user(app, "ada", role="admin", person="li.na")
    c = web_client(app)
    c.csrf = log_in(c, "ada")  # type: ignore[attr-defined]
    return c


@pytest.fixture()
def live_url(app: App) -> Iterator[str]:
    """The console over ``app`` served by uvicorn on a free port."""
    server = WebServer(create_web_app(app=app), host="127.0.0.1", port=0).start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's package) under Playwright."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=["--no-sandbox", "--disable-gpu"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture()
def page(browser: Any, live_url: str) -> Iterator[Any]:
    """A fresh browser tab (1280x800) whose base URL is the live console."""
    context = browser.new_context(base_url=live_url, viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()



@pytest.fixture(scope="session")
def example_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's database after one ``crisiswatch run --once`` over its samples (seven
    incidents, their stories and mentions), made once per test session."""
    from monitor.service.runner import run_once

    folder = tmp_path_factory.mktemp("example-run")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        with open_app(load_config(example_config_path())) as built:
            run_once(built)
            database = Path(built.settings.storage.data_dir) / "crisiswatch.sqlite"
    return folder / database


@pytest.fixture()
def filled_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
               example_database: Path) -> Iterator[App]:
    """Like ``app``, over a copy of ``example_database`` (override ``app`` with it to use it
    with ``client`` and ``live_url``)."""
    monkeypatch.chdir(tmp_path)
    config = load_config(example_config_path())
    folder = tmp_path / config.settings.storage.data_dir
    folder.mkdir(parents=True)
    shutil.copy(example_database, folder / example_database.name)
    with open_app(config) as built:
        yield built


@pytest.fixture()
def bearer(app: App) -> Callable[..., dict[str, str]]:
    """``bearer("rae", role="viewer")``: headers of a new user's API token."""

    def make(name: str, *, role: str = "responder", person: str | None = None) -> dict[str, str]:
        add_user(app, name, role=role, person=person)
        return {"Authorization": f"Bearer {api_token(app, name)}"}

    return make
