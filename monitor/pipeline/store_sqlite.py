"""SQLite statements for a batch's writes.

Every statement text is fixed: a list of values is one JSON parameter read with ``json_each``,
and mentions are one ``executemany`` of a one-row statement. sqlite3 caches prepared statements
by their text, so statements of varying length (one placeholder per value) would fill its
cache and grow memory with every batch.

Mention ids are given in the INSERT, counting on from the largest stored id, which is the id
SQLite itself would give each row (``rowid`` = largest + 1, the table has no AUTOINCREMENT):
the ids are known without ``RETURNING``, which needs a statement per row (or a multi-row
statement) instead of one ``executemany`` (100,000 rows: 1.87 s -> 1.60 s of CPU). The
largest id is read after the transaction has taken SQLite's write lock (``BEGIN IMMEDIATE``
when nothing was written yet: sqlite3 begins a transaction only at the first write), so no
other process can store a mention between the read and the insert.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from monitor.db.models import Mention, MentionEntity

_dumps = json.JSONEncoder(separators=(",", ":")).encode
_TABLE = Mention.__tablename__

_STORED = (
    f"SELECT external_id, content_hash, run_id FROM {_TABLE} WHERE source_id = ? "
    "AND external_id IN (SELECT value FROM json_each(?))"
)
_ORIGINALS = (
    f"SELECT content_hash, id FROM {_TABLE} "
    "WHERE content_hash IN (SELECT value FROM json_each(?)) AND duplicate_of IS NULL ORDER BY id"
)
_LAST_ID = f"SELECT max(id) FROM {_TABLE}"
_INSERTED = f"SELECT id, external_id FROM {_TABLE} WHERE id BETWEEN ? AND ? ORDER BY id"
_LINKS = f"INSERT INTO {MentionEntity.__tablename__} (mention_id, entity_id) VALUES (?, ?)"


def stored_datetime(value: datetime) -> str:
    """An aware datetime as the ORM stores it (``UTCDateTime`` on SQLite): naive UTC text."""
    utc = value if value.tzinfo is UTC else value.astimezone(UTC)  # collectors give UTC
    text = utc.replace(tzinfo=None).isoformat(" ")
    return text if len(text) > 19 else text + ".000000"


def stored_json(value: Any) -> str:
    """A JSON column's value (compact; any JSON reads back the same)."""
    return _dumps(value)


def stored_flag(value: bool) -> int:
    return 1 if value else 0


def stored_ids(
    conn: Connection, source_id: str, external_ids: list[str]
) -> dict[str, tuple[str, int | None]]:
    """Which of ``external_ids`` this source has stored already: (content hash, run id)."""
    rows = conn.exec_driver_sql(_STORED, (source_id, json.dumps(external_ids)))
    return {str(ext): (str(digest), run) for ext, digest, run in rows}


def original_ids(conn: Connection, hashes: set[str]) -> dict[str, int]:
    """Earliest stored original (``duplicate_of`` null) for each of ``hashes`` found."""
    found: dict[str, int] = {}
    for digest, mention_id in conn.exec_driver_sql(_ORIGINALS, (json.dumps(sorted(hashes)),)):
        found.setdefault(digest, mention_id)
    return found


def _insert_sql(columns: Sequence[str]) -> str:
    return (
        f"INSERT INTO {_TABLE} ({', '.join(columns)}, id) "
        f"VALUES ({', '.join('?' * (len(columns) + 1))}) "
        "ON CONFLICT (source_id, external_id) DO NOTHING"
    )


def insert_mentions(
    conn: Connection, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> list[tuple[int, str]]:
    """Insert ``rows`` (values in ``columns`` order), skipping stored ones; (id, external_id)
    of the rows inserted."""
    if not rows:
        return []
    at = columns.index("external_id")
    # the driver's own cursor, inside the session's transaction: no per-call statement
    # bookkeeping for what is most of a batch's work
    cursor = _cursor(conn)
    try:
        if not cursor.connection.in_transaction:
            cursor.execute("BEGIN IMMEDIATE")
        first = (cursor.execute(_LAST_ID).fetchone()[0] or 0) + 1
        ids = range(first, first + len(rows))
        cursor.executemany(_insert_sql(columns), map(_with_id, rows, ids))
        if cursor.rowcount == len(rows):
            return [(mid, row[at]) for mid, row in zip(ids, rows, strict=True)]
        # some were stored meanwhile by another process: ask which went in (their ids leave
        # gaps where the skipped rows' were)
        return [
            (int(mid), str(ext)) for mid, ext in cursor.execute(_INSERTED, (first, ids[-1]))
        ]
    finally:
        cursor.close()


def _with_id(row: tuple[Any, ...], mention_id: int) -> tuple[Any, ...]:
    return (*row, mention_id)


def insert_links(conn: Connection, links: Sequence[tuple[int, str]]) -> None:
    """Entity links: plain executemany, one prepared statement."""
    cursor = _cursor(conn)
    try:
        cursor.executemany(_LINKS, links)
    finally:
        cursor.close()


def _cursor(conn: Connection) -> Any:
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
