"""Idempotent, batched writes of mentions, quarantined rows and run checkpoints.

A batch is one transaction: its mentions, their entity links, its quarantined rows and the
run's resume point commit together, so a killed ingest resumes exactly after the last batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from monitor.collectors.base import RawItem, Rejected
from monitor.db.models import IngestRun, Mention, MentionEntity, QuarantinedRow, Source
from monitor.pipeline import store_pg

EXCERPT_CHARS = 500
TEXT_CHARS = 100_000


@dataclass(frozen=True, slots=True)
class Candidate:
    """A collected item that matched the watchlist, ready to store."""

    item: RawItem
    lang: str | None
    entities: tuple[str, ...]
    content_hash: str


@dataclass
class BatchCounts:
    new: int = 0
    duplicate: int = 0
    new_ids: list[int] = field(default_factory=list)


def _insert_mentions(conn: Connection, rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """(id, external_id) of the rows inserted, stored ones skipped (PostgreSQL: store_pg)."""
    # Core insert on the table: the ORM bulk path costs more than the database itself here
    table = cast(Table, Mention.__table__)
    stmt = (
        sqlite.insert(table)
        .on_conflict_do_nothing(index_elements=["source_id", "external_id"])
        .returning(table.c.id, table.c.external_id)
    )
    return [(mid, ext) for mid, ext in conn.execute(stmt, rows)]


def store_batch(
    session: Session,
    *,
    source_id: str,
    run_id: int | None,
    candidates: Sequence[Candidate],
    rejected: Sequence[Rejected],
    now: datetime,
) -> BatchCounts:
    """Insert new mentions (skipping ones already stored) and quarantine rejected rows."""
    counts = BatchCounts()
    unique: dict[str, Candidate] = {}
    for cand in candidates:
        if cand.item.external_id in unique:
            counts.duplicate += 1
        else:
            unique[cand.item.external_id] = cand
    if unique:
        postgres = session.get_bind().dialect.name == "postgresql"
        hashes = {c.content_hash for c in unique.values()}
        conn = session.connection()
        known = (store_pg.existing_hashes if postgres else _existing_hashes)(conn, hashes)
        first: list[Candidate] = []
        repeats: list[Candidate] = []
        batch_hashes: set[str] = set()
        for cand in unique.values():
            if cand.content_hash in known or cand.content_hash not in batch_hashes:
                first.append(cand)
            else:
                repeats.append(cand)
            batch_hashes.add(cand.content_hash)
        for group in (first, repeats):
            if not group:
                continue
            rows = [_row(c, source_id, run_id, now, known.get(c.content_hash)) for c in group]
            insert = store_pg.insert_mentions if postgres else _insert_mentions
            inserted = {ext: mid for mid, ext in insert(conn, rows)}
            by_ext = {c.item.external_id: c for c in group}
            links: list[tuple[int, str]] = []
            for ext, mention_id in inserted.items():
                cand = by_ext[ext]
                known.setdefault(cand.content_hash, mention_id)
                links.extend((mention_id, e) for e in cand.entities)
                counts.new_ids.append(mention_id)
            if links:
                (store_pg.insert_links if postgres else _insert_links)(conn, links)
            counts.new += len(inserted)
            counts.duplicate += len(group) - len(inserted)
    if rejected:
        session.execute(
            cast(Table, QuarantinedRow.__table__).insert(),
            [
                {
                    "run_id": run_id,
                    "source_id": source_id,
                    "location": r.location,
                    "line": r.line,
                    "offset": r.offset,
                    "error": r.error[:1000],
                    "excerpt": r.excerpt[:EXCERPT_CHARS],
                    "created_at": now,
                }
                for r in rejected
            ],
        )
    counts.new_ids.sort()
    return counts


def _insert_links(conn: Connection, links: list[tuple[int, str]]) -> None:
    """Plain DBAPI executemany: entity links are the bulk of a batch's rows and need no types."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    table = MentionEntity.__tablename__
    conn.exec_driver_sql(
        f"INSERT INTO {table} (mention_id, entity_id) VALUES ({mark}, {mark})", links
    )


def _existing_hashes(conn: Connection, hashes: set[str]) -> dict[str, int]:
    """Earliest stored mention for each content hash (the original of later copies)."""
    found: dict[str, int] = {}
    ordered = sorted(hashes)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        stmt = (
            select(Mention.content_hash, Mention.id)
            .where(Mention.content_hash.in_(chunk), Mention.duplicate_of.is_(None))
            .order_by(Mention.id)
        )
        for content_hash, mention_id in conn.execute(stmt):
            found.setdefault(content_hash, mention_id)
    return found


def _row(
    cand: Candidate, source_id: str, run_id: int | None, now: datetime, original: int | None
) -> dict[str, Any]:
    item = cand.item
    return {
        "source_id": source_id,
        "external_id": item.external_id[:512],
        "url": item.url,
        "title": item.title,
        "author": item.author[:512] if item.author else None,
        "author_reach": item.author_reach,
        "published_at": item.published or now,
        "date_missing": item.date_missing or item.published is None,
        "collected_at": now,
        "lang": cand.lang,
        "text": item.text[:TEXT_CHARS],
        "metrics": dict(item.metrics),
        "content_hash": cand.content_hash,
        "duplicate_of": original,
        "entities": list(cand.entities),
        "run_id": run_id,
    }


def ensure_source(
    session: Session, *, source_id: str, kind: str, location: str, now: datetime
) -> Source:
    """The source row for ``source_id``, created or updated to the configured kind/location."""
    source = session.get(Source, source_id)
    if source is None:
        source = Source(
            id=source_id, kind=kind, location=location, consecutive_failures=0, created_at=now
        )
        session.add(source)
    else:
        source.kind, source.location = kind, location
    session.flush()
    return source


def checkpoint_run(
    session: Session,
    *,
    run_id: int,
    last_line: int | None,
    seen: int,
    new: int,
    duplicate: int,
    unmatched: int,
    rejected: int,
) -> None:
    """Add a batch's counts to its run and move the resume point forward."""
    values: dict[str, Any] = {
        "seen": IngestRun.seen + seen,
        "new": IngestRun.new + new,
        "duplicate": IngestRun.duplicate + duplicate,
        "unmatched": IngestRun.unmatched + unmatched,
        "rejected": IngestRun.rejected + rejected,
    }
    if last_line is not None:
        values["last_line"] = last_line
    session.execute(update(IngestRun).where(IngestRun.id == run_id).values(**values))
