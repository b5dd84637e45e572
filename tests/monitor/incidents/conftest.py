"""Fixtures for incident tests: a migrated SQLite file and a controllable clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.engine import make_engine, session_factory
from monitor.db.migrate import ensure_schema

# A Monday on the hour, so hourly buckets and hour-of-week line up with the story.
T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)


class Clock:
    """An injected clock that tests move by hand."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'incidents.sqlite'}")
    ensure_schema(engine)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()
