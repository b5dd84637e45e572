"""Fixtures for digest tests: one generated week in a SQLite file, built once per session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from monitor.db.engine import make_engine
from monitor.db.migrate import ensure_schema
from monitor.digest.figures import build_digest
from monitor.digest.inputs import DigestInputs
from monitor.digest.model import Digest
from monitor.digest.period import Period, iso_week
from monitor.digest.testing import add_hostile_rows, generate_week, sample_inputs
from monitor.digest.testing_drills import add_legacy_drill_incidents

TZ = "Asia/Shanghai"
WEEK = "2026-W46"  # Mon 2026-11-09 00:00 +08:00 = 2026-11-08 16:00 UTC
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Week:
    engine: Engine
    path: Path
    period: Period
    inputs: DigestInputs
    digest: Digest
    now: datetime


def _engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    return engine


@pytest.fixture()
def new_engine(tmp_path: Path) -> Iterator[Callable[[], Engine]]:
    """Make fresh migrated SQLite databases in tmp_path."""
    made: list[Engine] = []

    def make() -> Engine:
        engine = _engine(tmp_path / f"db{len(made)}.sqlite")
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.dispose()


@pytest.fixture(scope="session")
def week(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Week]:
    """4,000 mentions (2,000 the week before), 80 incidents, 3 drill runs, backlog, hostile rows,
    and drill incidents as older databases hold them (never counted as real ones)."""
    path = tmp_path_factory.mktemp("digest") / "week.sqlite"
    engine = _engine(path)
    period = iso_week(week=WEEK, tz=TZ)
    generate_week(engine, period=period, mentions=4000, incidents=80, drills=3, backlog=6)
    add_legacy_drill_incidents(engine, period)
    add_hostile_rows(engine, period)
    inputs = sample_inputs()
    with Session(engine) as session:
        digest = build_digest(session=session, inputs=inputs, period=period, now=NOW)
    try:
        yield Week(engine=engine, path=path, period=period, inputs=inputs, digest=digest, now=NOW)
    finally:
        engine.dispose()
