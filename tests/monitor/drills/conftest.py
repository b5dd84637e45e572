from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from config.loader import LoadedConfig, example_config_path, load_config
from monitor.db.engine import sqlite_url
from monitor.drills.replay import DrillSetup, run_drill
from monitor.drills.report import DrillReport
from monitor.drills.scenario import Scenario
from monitor.drills.testing import FakeWall
from monitor.service.jobs import drill_rounds

RunDrill = Callable[..., DrillReport]


@pytest.fixture()
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LoadedConfig:
    """The bundled example, its data (main database, alert files) under tmp_path."""
    monkeypatch.chdir(tmp_path)
    return load_config(example_config_path())


@pytest.fixture()
def drill(example: LoadedConfig, tmp_path: Path) -> RunDrill:
    """Run a scenario on the example at 60x on a fake wall clock; extra kwargs go to run_drill."""

    def run(scenario: Scenario, *, speed: float = 60, channels: tuple[str, ...] | None = None,
            **kwargs: object) -> DrillReport:
        wall = FakeWall()
        url = sqlite_url(tmp_path / f"{scenario.id}.sqlite")
        return run_drill(config=example, scenario=scenario, rounds=drill_rounds,
                         setup=DrillSetup(speed=speed, database=url, channels=channels),
                         wall=wall, sleep=wall.sleep, **kwargs)  # type: ignore[arg-type]

    return run
