"""Collected items -> mentions, one pass per batch: parse, normalise, match, dedupe, score,
store, then the batch's steps (stories, incidents) on the new mentions held in memory.

Scoring runs before the write transaction, on the candidates not stored yet; the transaction
stores them with their scores in the same INSERT, runs the steps and moves the run's resume
point, so a killed ingest loses and duplicates nothing.

A run started by a service instance is leased to it (``RunLease``), renewed with its work;
when an instance dies its runs' leases run out and the next run started marks them
``interrupted`` (a file's interrupted run is resumed by its next read).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from classifiers.languages import supported
from monitor.collectors.base import RawItem, Rejected, content_hash, with_title
from monitor.db.models import IngestRun
from monitor.pipeline.store import Candidate, NewMention, checkpoint_run, store_batch, unseen
from monitor.watchlist.matcher import MatchDoc, Watchlist

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # the models' library loads only when something is scored
    from classifiers.scorer import Score

BATCH_SIZE = 2000
INTERRUPTED = "interrupted"
RESUMABLE = ("running", INTERRUPTED)  # a file's run in either state continues where it stopped
_LAPSED = "interrupted: the instance running it stopped renewing its lease (killed or cut off)"


class LangDetector(Protocol):
    def __call__(self, text: str) -> str: ...


class ScoreBatch(Protocol):
    """Scores candidates (sentiment, categories, matrix), in order; never raises on text."""

    def __call__(self, candidates: Sequence[Candidate], *, source_id: str) -> Sequence[Score]: ...


class BatchStep(Protocol):
    """Work done in a batch's transaction on the mentions it stored (stories, incidents)."""

    def __call__(
        self, session: Session, *, mentions: Sequence[NewMention], now: datetime
    ) -> None: ...


class SeenAgainStep(Protocol):
    """Work done in a batch's transaction on the candidates already stored by an earlier read
    (a re-exported row that now says it was replied to)."""

    def __call__(
        self, session: Session, *, source_id: str, candidates: Sequence[Candidate], now: datetime
    ) -> None: ...


@dataclass
class IngestStats:
    """What one ingest did; ``resumed_from`` > 0 when an interrupted run was continued."""

    source_id: str
    run_id: int | None = None
    seen: int = 0
    new: int = 0
    duplicate: int = 0
    unmatched: int = 0
    rejected: int = 0
    shared_ids: int = 0  # entries kept under an id of their own (see store.unseen)
    resumed_from: int = 0
    skipped_unchanged: bool = False
    error: str | None = None
    warnings: list[str] = field(default_factory=list)  # one line per kind of flagged row

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


class _RowWarnings:
    """Rows stored despite a problem (``RawItem.warning``), counted by problem with their
    first lines, as one summary line each."""

    SHOWN = 10

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.lines: dict[str, list[int]] = {}

    def add(self, warning: str, line: int | None) -> None:
        count = self.counts.get(warning, 0)
        self.counts[warning] = count + 1
        shown = self.lines.setdefault(warning, [])
        if line is not None and len(shown) < self.SHOWN:
            shown.append(line)

    def summary(self) -> list[str]:
        out = []
        for warning, count in self.counts.items():
            shown = self.lines[warning]
            where = ", ".join(map(str, shown)) + (", ..." if count > len(shown) else "")
            rows = "1 row" if count == 1 else f"{count} rows"
            out.append(f"{rows} {warning}" + (f" (line {where})" if shown else ""))
        return out


@dataclass(frozen=True)
class RunLease:
    """Runs are leased to ``owner`` (a service instance) for ``duration`` at a time."""

    owner: str
    duration: timedelta


def lease_terms(lease: RunLease | None, now: datetime) -> tuple[str | None, datetime | None]:
    """The owner and expiry a run taken at ``now`` records ((None, None): not leased)."""
    return (None, None) if lease is None else (lease.owner, now + lease.duration)


@dataclass(frozen=True)
class Pipeline:
    """The per-process parts of ingestion, built once at the composition root."""

    sessions: sessionmaker[Session]
    watchlist: Watchlist
    detect_lang: LangDetector
    clock: Callable[[], datetime]
    score: ScoreBatch | None = None
    steps: tuple[BatchStep, ...] = ()
    seen_again: SeenAgainStep | None = None
    batch_size: int = BATCH_SIZE
    lease: RunLease | None = None  # None: a foreground command, whose runs hold no lease

    def lease_until(self, now: datetime) -> datetime | None:
        """When a run leased now lapses unless renewed (None: not leased)."""
        return lease_terms(self.lease, now)[1]

    def prepare(self, item: RawItem, source_id: str) -> Candidate | None:
        """Language, watchlist match and content hash; None when no entity matches."""
        text = with_title(item.title, item.text)
        # a declared language ("zh-CN", "en-GB") counts in its scoring family
        lang = supported(item.lang) if item.lang else self.detect_lang(text)
        entities = self.watchlist.match(
            MatchDoc(text=text, source=source_id, author=item.author or "", lang=lang)
        )
        if not entities:
            return None
        return Candidate(
            item=item, text=text, lang=lang, entities=entities, content_hash=content_hash(text)
        )


def ingest_stream(
    pipeline: Pipeline,
    *,
    source_id: str,
    run_id: int,
    records: Iterable[RawItem | Rejected],
    stats: IngestStats,
    on_progress: Callable[[int], None] | None = None,
) -> IngestStats:
    """Store ``records`` batch by batch, each batch committed with the run's resume point."""
    iterator = iter(records)
    warnings = _RowWarnings()
    while True:
        batch = list(islice(iterator, pipeline.batch_size))
        if not batch:
            return stats
        now = pipeline.clock()
        candidates: list[Candidate] = []
        rejected: list[Rejected] = []
        unmatched = 0
        last_line: int | None = None
        for record in batch:
            last_line = record.line if record.line is not None else last_line
            if isinstance(record, Rejected):
                rejected.append(record)
                continue
            if record.warning is not None:
                warnings.add(record.warning, record.line)
            cand = pipeline.prepare(record, source_id)
            if cand is None:
                unmatched += 1
            else:
                candidates.append(cand)
        with pipeline.sessions() as session:
            found = unseen(session, source_id=source_id, run_id=run_id, candidates=candidates)
        fresh = found.fresh
        if found.shared_ids:
            log.warning("%s: %d entries shared an id with a different entry of the same read; "
                        "each is kept under an id of its own", source_id, found.shared_ids)
        scores = None
        if pipeline.score is not None and fresh:
            scores = pipeline.score(fresh, source_id=source_id)
        with pipeline.sessions.begin() as session:
            counts = store_batch(
                session,
                source_id=source_id,
                run_id=run_id,
                candidates=fresh,
                scores=scores,
                rejected=rejected,
                now=now,
            )
            if counts.mentions:
                for step in pipeline.steps:
                    step(session, mentions=counts.mentions, now=now)
            if pipeline.seen_again is not None and len(fresh) < len(candidates):
                taken = {id(c) for c in fresh}
                again = [c for c in candidates if id(c) not in taken]
                pipeline.seen_again(session, source_id=source_id, candidates=again, now=now)
            duplicate = found.duplicate + counts.duplicate
            checkpoint_run(
                session,
                run_id=run_id,
                lease_until=pipeline.lease_until(now),
                last_line=last_line,
                seen=len(batch),
                new=counts.new,
                duplicate=duplicate,
                unmatched=unmatched,
                rejected=len(rejected),
            )
        stats.seen += len(batch)
        stats.new += counts.new
        stats.duplicate += duplicate
        stats.shared_ids += found.shared_ids
        stats.unmatched += unmatched
        stats.rejected += len(rejected)
        if warnings.counts:
            stats.warnings = warnings.summary()
        if on_progress is not None:
            on_progress(len(batch))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def start_run(
    session: Session,
    *,
    source_id: str,
    now: datetime,
    lease: RunLease | None,
    file_path: str | None = None,
    file_sha: str | None = None,
) -> IngestRun:
    """A new running run of ``source_id`` (after marking runs whose lease lapsed interrupted)."""
    interrupt_lapsed_runs(session, now=now)
    owner, until = lease_terms(lease, now)
    run = IngestRun(
        source_id=source_id,
        started_at=now,
        status="running",
        file_path=file_path,
        file_sha256=file_sha,
        last_line=0,
        seen=0,
        new=0,
        duplicate=0,
        unmatched=0,
        rejected=0,
        owner=owner,
        lease_until=until,
    )
    session.add(run)
    session.flush()
    return run


def resume_run(session: Session, *, run: IngestRun, now: datetime, lease: RunLease | None) -> None:
    """Take over an interrupted (or abandoned) run to continue it after its ``last_line``."""
    run.status, run.finished_at, run.error = "running", None, None
    run.owner, run.lease_until = lease_terms(lease, now)


def interrupt_lapsed_runs(session: Session, *, now: datetime) -> int:
    """Mark runs still running after their lease ran out as interrupted; how many there were."""
    result = session.execute(
        update(IngestRun)
        .where(IngestRun.status == "running", IngestRun.lease_until < now)
        .values(status=INTERRUPTED, finished_at=now, lease_until=None, error=_LAPSED)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def renew_runs(session: Session, *, owner: str, until: datetime) -> None:
    """Extend the leases of ``owner``'s running runs (with its work items' leases)."""
    session.execute(
        update(IngestRun)
        .where(IngestRun.owner == owner, IngestRun.status == "running")
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )


def previous_file_run(session: Session, *, source_id: str, file_sha: str) -> IngestRun | None:
    """The latest run of this exact file content for this source, if any."""
    stmt = (
        select(IngestRun)
        .where(IngestRun.source_id == source_id, IngestRun.file_sha256 == file_sha)
        .order_by(IngestRun.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def read_before(session: Session, *, source_prefix: str, file_sha: str) -> IngestRun | None:
    """The first completed run of this exact file content by a source under ``source_prefix``
    (``inbox/``), if any: the same file dropped again under another name."""
    stmt = (
        select(IngestRun)
        .where(
            IngestRun.source_id.startswith(source_prefix, autoescape=True),
            IngestRun.file_sha256 == file_sha,
            IngestRun.status == "ok",
        )
        .order_by(IngestRun.id)
        .limit(1)
    )
    return session.scalars(stmt).first()


def finish_run(session: Session, *, run_id: int, now: datetime, error: str | None) -> None:
    run = session.get(IngestRun, run_id)
    assert run is not None
    run.finished_at = now
    run.status = "failed" if error else "ok"
    run.error = error
    run.lease_until = None
