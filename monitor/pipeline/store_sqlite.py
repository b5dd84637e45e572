"""SQLite statements for a batch's writes.

Every statement text is fixed: a list of values is one JSON parameter read with ``json_each``,
and mentions go in chunks of ``CHUNK`` rows (a one-row statement for the rest). sqlite3 caches
prepared statements by their text, so statements of varying length (one placeholder per value)
would fill its cache and grow memory with every batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from sqlalchemy import Connection

from monitor.db.models import Mention, MentionEntity

CHUNK = 64
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
_LINKS = f"INSERT INTO {MentionEntity.__tablename__} (mention_id, entity_id) VALUES (?, ?)"


def stored_datetime(value: datetime) -> str:
    """An aware datetime as the ORM stores it (``UTCDateTime`` on SQLite): naive UTC text."""
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
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


def _insert_sql(columns: Sequence[str], rows: int) -> str:
    one = "(" + ", ".join("?" * len(columns)) + ")"
    return (
        f"INSERT INTO {_TABLE} ({', '.join(columns)}) VALUES {', '.join([one] * rows)} "
        "ON CONFLICT (source_id, external_id) DO NOTHING RETURNING id, external_id"
    )


def insert_mentions(
    conn: Connection, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> list[tuple[int, str]]:
    """Insert ``rows`` (values in ``columns`` order), skipping stored ones; (id, external_id)
    of the rows inserted."""
    out: list[tuple[int, str]] = []
    full = len(rows) - len(rows) % CHUNK
    many, single = _insert_sql(columns, CHUNK), _insert_sql(columns, 1)
    # the driver's own cursor, inside the session's transaction: no per-call statement
    # bookkeeping for what is most of a batch's work
    cursor = _cursor(conn)
    try:
        for start in range(0, full, CHUNK):
            flat = tuple(chain.from_iterable(rows[start : start + CHUNK]))
            out.extend(cursor.execute(many, flat).fetchall())
        for row in rows[full:]:
            out.extend(cursor.execute(single, row).fetchall())
    finally:
        cursor.close()
    return out


def insert_links(conn: Connection, links: Sequence[tuple[int, str]]) -> None:
    """Entity links: plain executemany, one prepared statement."""
    cursor = _cursor(conn)
    try:
        cursor.executemany(_LINKS, links)
    finally:
        cursor.close()


def _cursor(conn: Connection) -> Any:
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
