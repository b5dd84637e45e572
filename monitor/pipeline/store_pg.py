"""PostgreSQL statements for a batch's writes: one statement each, values passed as arrays.

Multi-row VALUES (SQLAlchemy's insertmanyvalues, a 500-value IN list) puts one placeholder per
value in the SQL text; psycopg does not cache the conversion of such long statements and
re-parses every one, which cost most of an ingest's client time. An array parameter per
column keeps the statement short, so it is converted once and prepared by the server; arrays
go in binary (``%b``), which psycopg dumps several times faster than quoted array text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Column, Connection, Dialect, String, Table

from monitor.db.models import Mention, MentionEntity

_MENTIONS = cast(Table, Mention.__table__)
_dumps = json.JSONEncoder(separators=(",", ":")).encode

# One index probe per hash whatever the planner believes: the LATERAL subquery (kept apart by
# OFFSET 0) is run again for each hash. An IN list or = ANY(array) is planned as a sequential
# scan while the table has no statistics (1/200 of the rows assumed to match each value), and
# a prepared statement keeps that plan as the table grows: every batch read the whole table.
_EXISTING_HASHES = (
    "SELECT m.content_hash, m.id FROM unnest(%(hashes)b::text[]) AS h(content_hash) "
    "CROSS JOIN LATERAL (SELECT id, content_hash FROM mentions "
    "WHERE mentions.content_hash = h.content_hash AND mentions.duplicate_of IS NULL "
    "OFFSET 0) AS m ORDER BY m.id"
)

_STORED = (
    "SELECT external_id, content_hash, run_id FROM mentions WHERE source_id = %(source_id)s "
    "AND external_id = ANY(%(ids)b::text[])"
)

_INSERT_LINKS = (
    f"INSERT INTO {MentionEntity.__tablename__} (mention_id, entity_id) "
    "SELECT * FROM unnest(%(mention_ids)b::bigint[], %(entity_ids)b::text[])"
)


def stored_datetime(value: datetime) -> datetime:
    """An aware datetime as the ORM stores it (``UTCDateTime``): naive UTC."""
    return value.astimezone(UTC).replace(tzinfo=None)


def stored_json(value: Any) -> str:
    """A JSON column's value as text (cast to json by the statement)."""
    return _dumps(value)


def stored_flag(value: bool) -> bool:
    return value


def stored_ids(
    conn: Connection, source_id: str, external_ids: list[str]
) -> dict[str, tuple[str, int | None]]:
    """Which of ``external_ids`` this source has stored already: (content hash, run id)."""
    rows = conn.exec_driver_sql(_STORED, {"source_id": source_id, "ids": external_ids})
    return {str(ext): (str(digest), run) for ext, digest, run in rows}


def original_ids(conn: Connection, hashes: set[str]) -> dict[str, int]:
    """Earliest stored original (``duplicate_of`` null) for each of ``hashes`` found."""
    found: dict[str, int] = {}
    rows = conn.exec_driver_sql(_EXISTING_HASHES, {"hashes": sorted(hashes)})
    for content_hash, mention_id in rows:
        found.setdefault(content_hash, mention_id)
    return found


def insert_mentions(
    conn: Connection, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> list[tuple[int, str]]:
    """Insert ``rows`` (values in ``columns`` order, bind-processed), skipping stored ones;
    (id, external_id) of the rows inserted."""
    sql = _insert_sql(conn.dialect, tuple(columns))
    arrays = {name: [row[i] for row in rows] for i, name in enumerate(columns)}
    result = conn.exec_driver_sql(sql, arrays)
    return [(int(mid), str(ext)) for mid, ext in result]


def insert_links(conn: Connection, links: Sequence[tuple[int, str]]) -> None:
    conn.exec_driver_sql(
        _INSERT_LINKS,
        {"mention_ids": [m for m, _ in links], "entity_ids": [e for _, e in links]},
    )


def _array_param(dialect: Dialect, name: str, column: Column[Any]) -> str:
    # no length: a cast to varchar(n) truncates, where storing the value rejects an over-long one
    element = "text" if isinstance(column.type, String) else column.type.compile(dialect)
    return f"%({name})b::{element}[]"


def _insert_sql(dialect: Dialect, names: tuple[str, ...]) -> str:
    quote = dialect.identifier_preparer.quote
    arrays = ", ".join(_array_param(dialect, n, _MENTIONS.c[n]) for n in names)
    return (
        f"INSERT INTO {_MENTIONS.name} ({', '.join(quote(n) for n in names)}) "
        f"SELECT * FROM unnest({arrays}) "
        "ON CONFLICT (source_id, external_id) DO NOTHING RETURNING id, external_id"
    )
