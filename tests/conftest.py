"""Fixtures shared by every test package: shared data location and PostgreSQL schemas."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
PG_ENV = "CRISISWATCH_TEST_PG_URL"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or skip: it holds real public data that is never committed here."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the shared data folder {SHARED_DATA} (not present on this checkout)")
    return SHARED_DATA


@pytest.fixture()
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL with a fresh, private schema, dropped afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}=postgresql+psycopg://user@host/db")
    from monitor.db.schemas import private_schema

    with private_schema(base, prefix="cw_test") as url:
        yield url
