"""Idempotent, batched writes of mentions (with their scores), quarantined rows and checkpoints.

A batch is one transaction: its mentions (scores in the same INSERT), their entity links and
full-text index entries (``monitor.search.index``), its
quarantined rows (each stored once per source), what later steps do with the new mentions
(stories, incidents) and the run's resume point commit together, so a killed ingest resumes
exactly after the last batch.
Rows are written through the driver, never through per-row ORM or statement compilation;
the SQL and the stored forms of datetimes, JSON and flags come from the dialect's module
(``store_sqlite``, ``store_pg``), which stores them exactly as the ORM models read them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.collectors.base import RawItem, Rejected
from monitor.db.models import IngestRun, QuarantinedRow, Source
from monitor.pipeline import store_pg, store_sqlite
from monitor.search.index import Fields, index_mentions

if TYPE_CHECKING:  # the models' library loads only when something is scored
    from classifiers.scorer import Score

EXCERPT_CHARS = 500
ERROR_CHARS = 1000
TEXT_CHARS = 100_000
ID_CHARS = 512  # mentions.external_id
MENTION_COLUMNS = (
    "source_id", "external_id", "url", "title", "author", "author_reach", "published_at",
    "date_missing", "collected_at", "lang", "text", "metrics", "content_hash", "duplicate_of",
    "entities", "run_id",
)
SCORE_COLUMNS = (
    "sentiment", "sentiment_probs", "categories", "top_category", "likelihood", "impact",
    "grade", "reasons", "intent", "intent_probs", "scored_at",
)


# Per-row records are not frozen (see collectors.base.RawItem) but never changed.
@dataclass(slots=True)
class Candidate:
    """A collected item that matched the watchlist, ready to score and store."""

    item: RawItem
    text: str  # title and text as one (``with_title``): what matching and scoring read
    lang: str | None
    entities: tuple[str, ...]
    content_hash: str


@dataclass(slots=True)
class NewMention:
    """A mention this batch stored, as later steps of the same batch read it (in memory)."""

    id: int
    source_id: str
    candidate: Candidate
    published: datetime  # the item's time, or the collection time when it had none
    duplicate_of: int | None
    score: Score | None
    story: int | None = None  # set by the stories step, before the incidents step reads it


@dataclass
class BatchCounts:
    new: int = 0
    duplicate: int = 0
    mentions: list[NewMention] = field(default_factory=list)


def _dialect_sql(conn: Connection) -> Any:
    return store_pg if conn.dialect.name == "postgresql" else store_sqlite


@dataclass
class Unseen:
    """A batch's candidates not stored yet, and what became of the others."""

    fresh: list[Candidate]
    duplicate: int  # already stored, or repeated in the batch with the same content
    shared_ids: int  # of ``fresh``, kept under an id of their own (see ``unseen``)


def unseen(
    session: Session, *, source_id: str, run_id: int | None, candidates: Sequence[Candidate]
) -> Unseen:
    """The candidates to store: one per external id and content.

    An id stored by an earlier run is a duplicate (an entry re-published, or edited: the
    stored mention stands). Within one run (one fetch, one file) an id repeated with the same
    content is a duplicate; with other content it is another entry sharing the id, kept
    under ``<id>#<content hash>``.
    """
    groups: dict[str, dict[str, Candidate]] = {}  # id -> content hash -> first candidate
    for cand in candidates:
        groups.setdefault(cand.item.external_id[:ID_CHARS], {}).setdefault(cand.content_hash, cand)
    if not groups:
        return Unseen([], len(candidates), 0)
    conn = session.connection()
    sql = _dialect_sql(conn)
    stored = sql.stored_ids(conn, source_id, list(groups))
    fresh: list[Candidate] = []
    others: dict[str, Candidate] = {}
    for ext, contents in groups.items():
        hit = stored.get(ext)
        if hit is not None and (run_id is None or hit[1] != run_id):
            continue  # stored by an earlier run: the same entry again
        taken = None if hit is None else hit[0]
        for digest, cand in contents.items():
            if taken is None:
                fresh.append(cand)
                taken = digest
            elif digest != taken:
                other = _distinct(cand)
                others[other.item.external_id] = other
    kept: list[Candidate] = []
    if others:
        again = sql.stored_ids(conn, source_id, list(others))
        kept = [cand for ext, cand in others.items() if ext not in again]
    return Unseen(fresh + kept, len(candidates) - len(fresh) - len(kept), len(kept))


def _distinct(cand: Candidate) -> Candidate:
    """``cand`` under an id of its own: its id and its content's hash."""
    ext = f"{cand.item.external_id[: ID_CHARS - 18]}#~{cand.content_hash[:16]}"
    return replace(cand, item=replace(cand.item, external_id=ext))


def store_batch(
    session: Session,
    *,
    source_id: str,
    run_id: int | None,
    candidates: Sequence[Candidate],
    scores: Sequence[Score] | None,
    rejected: Sequence[Rejected],
    now: datetime,
) -> BatchCounts:
    """Insert ``candidates`` with their ``scores`` (skipping ones already stored), quarantine
    ``rejected``; ``candidates`` hold distinct external ids (see ``unseen``)."""
    counts = BatchCounts()
    if candidates:
        conn = session.connection()
        sql = _dialect_sql(conn)
        given: Sequence[Score | None] = scores if scores is not None else [None] * len(candidates)
        scored = list(zip(candidates, given, strict=True))
        known = sql.original_ids(conn, {c.content_hash for c in candidates})
        # Exact copies point at their original: the first copy of a text new in this batch is
        # inserted before its repeats, so they can point at it.
        first: list[tuple[Candidate, Score | None]] = []
        repeats: list[tuple[Candidate, Score | None]] = []
        batch_hashes: set[str] = set()
        for pair in scored:
            digest = pair[0].content_hash
            (first if digest in known or digest not in batch_hashes else repeats).append(pair)
            batch_hashes.add(digest)
        write = _RowWriter(sql, source_id=source_id, run_id=run_id, now=now)
        columns = MENTION_COLUMNS if scores is None else MENTION_COLUMNS + SCORE_COLUMNS
        for group in (first, repeats):
            if not group:
                continue
            rows = [write.row(c, s, known.get(c.content_hash)) for c, s in group]
            inserted = {ext: mid for mid, ext in sql.insert_mentions(conn, columns, rows)}
            links: list[tuple[int, str]] = []
            searched: list[Fields] = []
            for cand, score in group:
                mention_id = inserted.get(cand.item.external_id[:ID_CHARS])
                if mention_id is None:
                    counts.duplicate += 1  # stored meanwhile by another process
                    continue
                original = known.get(cand.content_hash)
                known.setdefault(cand.content_hash, mention_id)
                links += [(mention_id, e) for e in cand.entities]
                item = cand.item
                author = item.author[:512] if item.author else None
                searched.append((mention_id, item.published or now, item.title,
                                 item.text[:TEXT_CHARS], author))
                counts.mentions.append(NewMention(
                    id=mention_id, source_id=source_id, candidate=cand,
                    published=cand.item.published or now, duplicate_of=original, score=score,
                ))
            if links:
                sql.insert_links(conn, links)
            # the full-text index, in the same transaction
            index_mentions(conn, searched, new=True)
        counts.new = len(counts.mentions)
        counts.mentions.sort(key=lambda m: m.id)
    if rejected:
        quarantine(session, source_id=source_id, run_id=run_id, rejected=rejected, now=now)
    return counts


def quarantine_fingerprint(*, location: str, line: int | None, identity: str, excerpt: str) -> str:
    """What makes a quarantined row the same row again: where it is, its ``Rejected.key`` (else
    its stored error, which names its place), and its stored excerpt."""
    basis = "\x1f".join((location, "" if line is None else str(line), identity, excerpt))
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]


def quarantine(
    session: Session,
    *,
    source_id: str,
    run_id: int | None,
    rejected: Sequence[Rejected],
    now: datetime,
) -> None:
    """Store ``rejected`` rows, each once per source: a feed polled again, or a file read again
    with ``--force``, finds its bad rows already kept."""
    rows: dict[str, dict[str, Any]] = {}
    for r in rejected:
        error, excerpt = r.error[:ERROR_CHARS], r.excerpt[:EXCERPT_CHARS]
        digest = quarantine_fingerprint(
            location=r.location, line=r.line, identity=r.key or error, excerpt=excerpt
        )
        rows.setdefault(digest, {
            "run_id": run_id, "source_id": source_id, "location": r.location, "line": r.line,
            "offset": r.offset, "error": error, "excerpt": excerpt, "created_at": now,
            "fingerprint": digest,
        })
    table = cast(Table, QuarantinedRow.__table__)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).on_conflict_do_nothing(
        index_elements=["source_id", "fingerprint"]
    )
    session.execute(stmt, list(rows.values()))


class _RowWriter:
    """Mention rows as the driver takes them, converted the way the dialect module says."""

    def __init__(self, sql: Any, *, source_id: str, run_id: int | None, now: datetime) -> None:
        self.when, self.json, self.flag = sql.stored_datetime, sql.stored_json, sql.stored_flag
        self.source_id, self.run_id = source_id, run_id
        self.now, self.stored_now = now, self.when(now)
        # a batch's mentions share a few sets of entities: each is encoded once
        self.entities: dict[tuple[str, ...], Any] = {}

    def row(self, cand: Candidate, score: Score | None, original: int | None) -> tuple[Any, ...]:
        item, json = cand.item, self.json
        entities = self.entities.get(cand.entities)
        if entities is None:
            entities = self.entities[cand.entities] = json(cand.entities)
        base = (
            self.source_id, item.external_id[:ID_CHARS], item.url, item.title,
            item.author[:512] if item.author else None, item.author_reach,
            self.when(item.published) if item.published else self.stored_now,
            self.flag(item.date_missing or item.published is None), self.stored_now, cand.lang,
            item.text[:TEXT_CHARS], json(item.metrics), cand.content_hash, original,
            entities, self.run_id,
        )
        if score is None:
            return base
        data = score.to_dict()
        return (
            *base, score.sentiment.label, json(data["sentiment"]["probs"]),
            json(data["categories"]), score.top_category, score.likelihood, score.impact,
            score.grade, json(data["reasons"]), score.intent.label,
            json(data["intent"]["probs"]), self.stored_now,
        )


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
    lease_until: datetime | None,
    last_line: int | None,
    seen: int,
    new: int,
    duplicate: int,
    unmatched: int,
    rejected: int,
) -> None:
    """Add a batch's counts to its run, move the resume point forward and, for a leased run,
    its lease."""
    values: dict[str, Any] = {
        "seen": IngestRun.seen + seen,
        "new": IngestRun.new + new,
        "duplicate": IngestRun.duplicate + duplicate,
        "unmatched": IngestRun.unmatched + unmatched,
        "rejected": IngestRun.rejected + rejected,
    }
    if last_line is not None:
        values["last_line"] = last_line
    if lease_until is not None:
        values["lease_until"] = lease_until
    session.execute(update(IngestRun).where(IngestRun.id == run_id).values(**values))
