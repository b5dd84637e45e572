"""Fixtures for the command-line tests: ``crisiswatch`` invoked in a clean temporary folder.

(The suite runs with --import-mode=importlib, so helpers are fixtures, not imports.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli.main import cli


@pytest.fixture()
def crisiswatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run ``crisiswatch ARGS...`` in tmp_path without the user's configuration or database;
    exceptions propagate, so a traceback fails the test instead of hiding in the output."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRISISWATCH_CONFIG", raising=False)
    monkeypatch.delenv("CRISISWATCH_DATABASE_URL", raising=False)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke
