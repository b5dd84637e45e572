"""PostgreSQL statements for a batch's writes: one statement each, values passed as arrays.

Multi-row VALUES (SQLAlchemy's insertmanyvalues, a 500-value IN list) puts one placeholder per
value in the SQL text; psycopg does not cache the conversion of such long statements and
re-parses every one, which cost most of an ingest's client time. An array parameter per
column keeps the statement short, so it is converted once and prepared by the server; arrays
go in binary (``%b``), which psycopg dumps several times faster than quoted array text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Column, Connection, Dialect, String, Table

from monitor.db.models import Mention, MentionEntity

_MENTIONS = cast(Table, Mention.__table__)

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

_INSERT_LINKS = (
    f"INSERT INTO {MentionEntity.__tablename__} (mention_id, entity_id) "
    "SELECT * FROM unnest(%(mention_ids)b::bigint[], %(entity_ids)b::text[])"
)


def existing_hashes(conn: Connection, hashes: set[str]) -> dict[str, int]:
    """Earliest stored original (``duplicate_of`` null) for each of ``hashes`` found."""
    found: dict[str, int] = {}
    rows = conn.exec_driver_sql(_EXISTING_HASHES, {"hashes": sorted(hashes)})
    for content_hash, mention_id in rows:
        found.setdefault(content_hash, mention_id)
    return found


def insert_mentions(
    conn: Connection, rows: Sequence[Mapping[str, Any]]
) -> list[tuple[int, str]]:
    """Insert ``rows`` (mention columns, the same keys in each), skipping stored ones.

    Returns (id, external_id) of the rows inserted.
    """
    names = tuple(rows[0])
    sql = _insert_sql(conn.dialect, names)
    result = conn.exec_driver_sql(sql, _arrays(conn.dialect, names, rows))
    return [(int(mid), str(ext)) for mid, ext in result]


def insert_links(conn: Connection, links: Sequence[tuple[int, str]]) -> None:
    conn.exec_driver_sql(
        _INSERT_LINKS,
        {"mention_ids": [m for m, _ in links], "entity_ids": [e for _, e in links]},
    )


def _arrays(
    dialect: Dialect, names: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> dict[str, list[Any]]:
    """One list per column, through the column's own bind processing (UTC datetimes, JSON)."""
    params: dict[str, list[Any]] = {}
    for name in names:
        process = _MENTIONS.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        values = [row[name] for row in rows]
        params[name] = values if process is None else [process(v) for v in values]
    return params


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
