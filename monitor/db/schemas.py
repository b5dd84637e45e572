"""Private PostgreSQL schemas for tests and benchmarks that share one database server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from monitor.db.engine import make_engine
from monitor.db.migrate import upgrade


def schema_scoped_url(base_url: str, schema: str) -> str:
    """``base_url`` with its search_path set to ``schema`` (psycopg connection options)."""
    sep = "&" if "?" in base_url else "?"
    return f"{base_url}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def private_schema(base_url: str, *, prefix: str, migrate: bool = False) -> Iterator[str]:
    """Create a uniquely named schema, yield a URL scoped to it, drop it afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = schema_scoped_url(base_url, schema)
    try:
        if migrate:
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
