"""Fixtures shared by every test package: shared data location and PostgreSQL schemas."""

from __future__ import annotations

import os
import uuid
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
    import sqlalchemy as sa

    schema = f"cw_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
