"""Fixtures for the pipeline tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.db.engine import make_engine
from monitor.db.migrate import upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test on SQLite and, when configured, on PostgreSQL (migrated first)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite'}"
    url: str = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url
