"""The full-text index of mentions (``mention_search``), kept in step with ``mentions``.

The terms come from one Python function for both databases (``monitor.search.terms``), so
neither database's parser or locale decides what matches: the test database's ``lc_ctype``
is ``C.UTF-8``, under which neither ``to_tsvector`` nor ``pg_trgm`` can be trusted to see
Chinese characters as letters.

SQLite: an FTS5 table whose one column holds ``terms.index_text`` (the ``ascii`` tokenizer
splits it on spaces only: every non-ASCII character is a word character to it, and the terms
are already case-folded) and whose rowid is ``sqlite_key``: the mention's publication time in
whole seconds times 2**31 plus its id. FTS5 walks its matches in rowid order, so the newest
matches of a common word come first and a page of them costs a few lookups instead of
sorting every match (a million mentions: 140,000 matches of 奶粉), a date range is a rowid
range, and the mention id is ``rowid & KEY_MASK`` without reading anything. The delete
trigger computes the key in SQL (``SQLITE_KEY``), ``sqlite_key`` the same in Python when
indexing (an ``INSERT ... SELECT`` computing it made indexing six times slower); they agree
for every time from 1970 (before it, SQLite rounds a fractional second towards zero).
Everything used (FTS5, its ``ascii`` tokenizer with ``tokenchars``, rowid order and ranges,
``INSERT OR REPLACE``) is in SQLite since 3.9 when built with FTS5, as Python's own builds
are (3.40 here); contentless tables, whose rows 3.40 cannot delete, are not used.

PostgreSQL: a table of ``terms.tsvector`` per mention id with a GIN index, and the mention's
publication time beside it (indexed with the id): the planner can walk the newest rows of the
index table testing their terms (a common word), or AND the GIN bitmap with a date range,
before it visits ``mentions``.

Why the store step writes the index and not a trigger: the terms are made in Python, which a
PostgreSQL trigger cannot call, and an SQLite trigger could only call through a function
registered on every connection (the ``sqlite3`` shell, or any tool, could then no longer
insert a mention). So ``monitor.pipeline.store`` indexes each batch's new mentions in the
batch's transaction (one extra statement per batch), and anything else that inserts
mentions calls ``index_mentions`` (the test helpers do). Deletions need no code: the index
row goes with its mention through ``ON DELETE CASCADE`` (PostgreSQL) or an ``AFTER DELETE``
trigger (SQLite; the FTS5 table keeps its own copy of the terms, so a row is deleted by its
rowid alone, whatever version of the terms made it). A mention's title, text, author and
publication time are never changed once stored, so there is no update path.

Cost (benchmarks/ingest.py, 100,000 rows, one core): ingest without scoring stores about a
quarter fewer rows per CPU-second with the index (SQLite 15,052 -> 11,395 English, 14,517 ->
10,633 Chinese; PostgreSQL's client 21,698 -> 15,971 and 17,649 -> 13,094): making the terms
in Python is most of it, FTS5's own insert the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, select, text

from monitor.db.models import Mention
from monitor.search.terms import index_text, tsvector

TABLE = "mention_search"
BACKFILL_BATCH = 5000

KEY_SHIFT = 2**31  # mention ids stay below it
KEY_MASK = KEY_SHIFT - 1
SQLITE_KEY = f"CAST(strftime('%s', {{row}}.published_at) AS INTEGER) * {KEY_SHIFT} + {{row}}.id"
SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5(terms, tokenize = \"ascii tokenchars '_'\")",
    f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON mentions "
    f"BEGIN DELETE FROM {TABLE} WHERE rowid = {SQLITE_KEY.format(row='old')}; END",
)
SQLITE_DROP = (f"DROP TRIGGER IF EXISTS {TABLE}_delete", f"DROP TABLE IF EXISTS {TABLE}")
POSTGRESQL_DDL = (
    f"CREATE TABLE {TABLE} (mention_id BIGINT PRIMARY KEY "
    "REFERENCES mentions (id) ON DELETE CASCADE, published_at TIMESTAMP NOT NULL, "
    "terms TSVECTOR NOT NULL)",
    f"CREATE INDEX ix_{TABLE}_terms ON {TABLE} USING gin (terms)",
    f"CREATE INDEX ix_{TABLE}_published_at ON {TABLE} (published_at, mention_id)",
)
POSTGRESQL_DROP = (f"DROP TABLE IF EXISTS {TABLE}",)

_SQLITE_INSERT = f"INSERT INTO {TABLE} (rowid, terms) VALUES (?, ?)"
_SQLITE_REPLACE = f"INSERT OR REPLACE INTO {TABLE} (rowid, terms) VALUES (?, ?)"
_PG_INSERT = (
    f"INSERT INTO {TABLE} (mention_id, published_at, terms) SELECT i, p, t::tsvector "
    "FROM unnest(%(ids)b::bigint[], %(published)b::timestamp[], %(terms)b::text[]) AS u(i, p, t)"
)
_PG_REPLACE = (
    f"{_PG_INSERT} ON CONFLICT (mention_id) DO UPDATE SET published_at = excluded.published_at, "
    "terms = excluded.terms"
)

# id, published at (as stored: UTC, aware or naive), title, text, author
Fields = tuple[int, datetime, str | None, str | None, str | None]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = _EPOCH.replace(tzinfo=None)
_SECOND = timedelta(seconds=1)


def sqlite_key(mention_id: int, published: datetime) -> int:
    """The SQLite index's rowid of a mention (``SQLITE_KEY`` computed in Python): whole
    seconds since 1970 (naive times are UTC), rounded down as ``strftime('%s')`` does."""
    epoch = _NAIVE_EPOCH if published.tzinfo is None else _EPOCH
    return (published - epoch) // _SECOND * KEY_SHIFT + mention_id


def _naive_utc(when: datetime) -> datetime:
    return when if when.tzinfo is None else when.astimezone(UTC).replace(tzinfo=None)


def index_mentions(conn: Connection, rows: Sequence[Fields], *, new: bool = False) -> None:
    """Index (or index again) mentions given as (id, published at, title, text, author).
    ``new``: the mentions were stored in this transaction, so none is in the index yet: a
    plain insert, cheaper than one that first looks for the row to replace (SQLite: a fifth;
    an id used again after a delete had its index row deleted with it)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_PG_INSERT if new else _PG_REPLACE, {
            "ids": [r[0] for r in rows], "published": [_naive_utc(r[1]) for r in rows],
            "terms": [tsvector(*r[2:]) for r in rows],
        })
        return
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(
            _SQLITE_INSERT if new else _SQLITE_REPLACE,
            [(sqlite_key(r[0], r[1]), index_text(*r[2:])) for r in rows],
        )
    finally:
        cursor.close()


def create(conn: Connection) -> None:
    """Create the index (table, and SQLite's delete trigger) on ``conn``'s database."""
    ddl = POSTGRESQL_DDL if conn.dialect.name == "postgresql" else SQLITE_DDL
    for statement in ddl:
        conn.exec_driver_sql(statement)


def drop(conn: Connection) -> None:
    """Remove the index."""
    ddl = POSTGRESQL_DROP if conn.dialect.name == "postgresql" else SQLITE_DROP
    for statement in ddl:
        conn.exec_driver_sql(statement)


def backfill(conn: Connection, *, batch: int = BACKFILL_BATCH) -> int:
    """Index every stored mention, ``batch`` at a time; how many were indexed."""
    done, last = 0, 0
    m = Mention
    while True:
        query = (select(m.id, m.published_at, m.title, m.text, m.author)
                 .where(m.id > last).order_by(m.id).limit(batch))
        rows: list[Fields] = [(r[0], r[1], r[2], r[3], r[4]) for r in conn.execute(query)]
        if not rows:
            return done
        index_mentions(conn, rows)
        done += len(rows)
        last = rows[-1][0]


def indexed(conn: Connection) -> set[int]:
    """The ids of the mentions the index holds (for tests and checks)."""
    column = "mention_id" if conn.dialect.name == "postgresql" else f"rowid & {KEY_MASK}"
    return {int(i) for i in conn.execute(text(f"SELECT {column} FROM {TABLE}")).scalars()}
