from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from config.loader import LoadedConfig, example_config_path, load_config
from monitor.app import App, open_app


def write_config(tmp_path: Path, body: str) -> LoadedConfig:
    path = tmp_path / "crisiswatch.yaml"
    path.write_text(body, encoding="utf-8")
    return load_config(path)


@pytest.fixture()
def make_config(tmp_path: Path) -> Callable[[str], LoadedConfig]:
    """Write ``body`` as tmp_path/crisiswatch.yaml and load it."""
    return lambda body: write_config(tmp_path, body)


@pytest.fixture()
def example_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    """The bundled example configuration on a private SQLite file."""
    monkeypatch.chdir(tmp_path)
    with open_app(load_config(example_config_path())) as app:
        yield app
