"""Collect one source (feed, export file, inbox folder) into the store, recording its state.

Failures are recorded on the source (last error, consecutive failures) and returned in the
stats; they never propagate, so one bad source cannot stop the others. A file read with the
``auto`` preset gets the preset its header calls for; an inbox file is stored under the source
its rows' ids belong to (``collectors.identity``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from monitor.collectors.base import CollectorError, RawItem
from monitor.collectors.exports import header_names, mapping_from_dict, read_export
from monitor.collectors.identity import SEPARATOR, file_source_id
from monitor.collectors.inbox import move_failed, move_processed, ready_files
from monitor.collectors.presets import AUTO, detect_preset
from monitor.collectors.rss import FeedState, fetch_feed, parse_feed
from monitor.db.engine import storage_folder
from monitor.db.models import Source
from monitor.pipeline.ingest import (
    RESUMABLE,
    IngestStats,
    Pipeline,
    file_sha256,
    finish_run,
    ingest_stream,
    previous_file_run,
    read_before,
    resume_run,
    start_run,
)
from monitor.pipeline.store import ensure_source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CollectRun:
    """What one collection of a source may use, built by the composition root."""

    pipeline: Pipeline
    http: httpx.Client
    max_bytes: int
    resolve: Callable[[Path], Path]  # a configured path, made absolute against the config file
    force: bool = False
    on_progress: Callable[[int], None] | None = None


@dataclass(frozen=True)
class FileSpec:
    """How to read one export file."""

    path: Path
    fmt: str | None = None
    preset: str = "generic"
    mapping: Mapping[str, Any] = field(default_factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    tz: str | None = None


def resolve_preset(spec: FileSpec) -> FileSpec:
    """``spec`` with an ``auto`` preset replaced by the one the file's header calls for;
    CollectorError or OSError when the file cannot be read."""
    if spec.preset != AUTO:
        return spec
    names = header_names(
        spec.path, fmt=spec.fmt, encoding=spec.encoding, delimiter=spec.delimiter
    )
    return replace(spec, preset=detect_preset(names))


def ingest_file(
    pipeline: Pipeline,
    *,
    source_id: str,
    spec: FileSpec,
    force: bool = False,
    on_progress: Callable[[int], None] | None = None,
    read_under: str | None = None,
) -> IngestStats:
    """Ingest an export file once: unchanged files are skipped, interrupted ones resumed. With
    ``read_under`` (a source id prefix, ``inbox/``), a file whose exact bytes a source under it
    has already read is skipped too, whatever its name."""
    stats = IngestStats(source_id=source_id)
    now = pipeline.clock()
    location = str(spec.path)
    try:
        spec = resolve_preset(spec)
        mapping = mapping_from_dict(spec.mapping) if spec.mapping else None
        sha = file_sha256(spec.path)
    except (CollectorError, OSError) as exc:
        return _record_failure(pipeline, source_id, "export", location, _one_line(exc), stats)
    if read_under is not None and not force:
        with pipeline.sessions() as session:
            before = read_before(session, source_prefix=read_under, file_sha=sha)
        if before is not None:  # the same bytes under another name (``export (1).csv``)
            return IngestStats(source_id=before.source_id, run_id=before.id, skipped_unchanged=True)
    with pipeline.sessions.begin() as session:
        ensure_source(session, source_id=source_id, kind="export", location=location, now=now)
        previous = previous_file_run(session, source_id=source_id, file_sha=sha)
        if previous is not None and previous.status == "ok" and not force:
            stats.skipped_unchanged = True
            stats.run_id = previous.id
            return stats
        if previous is not None and previous.status in RESUMABLE and not force:
            run_id, start_line = previous.id, previous.last_line
            resume_run(session, run=previous, now=now, lease=pipeline.lease)
        else:
            run_id = start_run(
                session, source_id=source_id, now=now, lease=pipeline.lease, file_path=location,
                file_sha=sha,
            ).id
            start_line = 0
    stats.run_id, stats.resumed_from = run_id, start_line
    error: str | None = None
    try:
        records = read_export(
            spec.path,
            fmt=spec.fmt,
            preset=spec.preset,
            mapping=mapping,
            encoding=spec.encoding,
            delimiter=spec.delimiter,
            tz=spec.tz,
            start_line=start_line,
            now=now,
        )
        with recorded_failure(pipeline, source_id=source_id, run_id=run_id):
            ingest_stream(
                pipeline,
                source_id=source_id,
                run_id=run_id,
                records=records,
                stats=stats,
                on_progress=on_progress,
            )
    except (CollectorError, OSError) as exc:
        error = f"{spec.path}: {_one_line(exc)}"
    with pipeline.sessions.begin() as session:
        finish_run(session, run_id=run_id, now=pipeline.clock(), error=error)
        _record_outcome(session.get(Source, source_id), now=pipeline.clock(), error=error)
    stats.error = error
    return stats


def ingest_items(
    pipeline: Pipeline,
    *,
    source_id: str,
    kind: str,
    location: str,
    items: Iterable[RawItem],
) -> IngestStats:
    """Ingest items produced in process (a drill's posts) as one run of ``source_id``."""
    stats = IngestStats(source_id=source_id)
    now = pipeline.clock()
    with pipeline.sessions.begin() as session:
        ensure_source(session, source_id=source_id, kind=kind, location=location, now=now)
        run_id = start_run(session, source_id=source_id, now=now, lease=pipeline.lease).id
    stats.run_id = run_id
    with recorded_failure(pipeline, source_id=source_id, run_id=run_id):
        ingest_stream(pipeline, source_id=source_id, run_id=run_id, records=items, stats=stats)
    with pipeline.sessions.begin() as session:
        finish_run(session, run_id=run_id, now=pipeline.clock(), error=None)
        _record_outcome(session.get(Source, source_id), now=pipeline.clock(), error=None)
    return stats


def poll_feed(
    pipeline: Pipeline, *, source_id: str, url: str, client: httpx.Client, max_bytes: int
) -> IngestStats:
    """Fetch a feed (conditional GET) or read a local feed file, and store its new entries."""
    stats = IngestStats(source_id=source_id)
    now = pipeline.clock()
    with pipeline.sessions.begin() as session:
        source = ensure_source(session, source_id=source_id, kind="rss", location=url, now=now)
        state = FeedState(etag=source.etag, last_modified=source.last_modified)
        run_id = start_run(session, source_id=source_id, now=now, lease=pipeline.lease).id
    stats.run_id = run_id
    if url.startswith(("http://", "https://")):
        outcome = fetch_feed(client=client, url=url, state=state, now=now, max_bytes=max_bytes)
    else:
        path = Path(url.removeprefix("file://"))
        try:
            if path.stat().st_size > max_bytes:
                raise OSError(f"feed file exceeds the {max_bytes} byte cap")
            body = path.read_bytes()
        except OSError as exc:
            return _finish_poll(pipeline, stats, run_id, error=f"{url}: {_one_line(exc)}")
        outcome = parse_feed(body, url=url, headers=None, now=now)
    if outcome.error is None and not outcome.not_modified:
        with recorded_failure(pipeline, source_id=source_id, run_id=run_id):
            ingest_stream(
                pipeline,
                source_id=source_id,
                run_id=run_id,
                records=[*outcome.items, *outcome.rejected],
                stats=stats,
            )
    with pipeline.sessions.begin() as session:
        row = session.get(Source, source_id)
        assert row is not None
        if outcome.error is None:
            row.etag = outcome.etag
            row.last_modified = outcome.last_modified
            row.bozo_reason = outcome.bozo_reason
    return _finish_poll(pipeline, stats, run_id, error=outcome.error)


def ingest_inbox_file(
    pipeline: Pipeline, *, path: Path, parent: str, preset: str
) -> tuple[Path, IngestStats]:
    """Ingest one settled inbox file under its own source (``parent``/platform or name), unless
    the same bytes were read before under any name, then move it to processed/ or failed/;
    returns where it went and what was stored."""
    spec = FileSpec(path=path, preset=preset)
    try:
        spec = resolve_preset(spec)
    except (CollectorError, OSError):
        spec = replace(spec, preset="generic")  # unreadable: ingest_file records why
    source_id = file_source_id(parent=parent, preset=spec.preset, path=path)
    stats = ingest_file(
        pipeline, source_id=source_id, spec=spec, read_under=f"{parent}{SEPARATOR}"
    )
    if stats.error:
        return move_failed(path=path, reason=stats.error), stats
    return move_processed(path=path), stats


def process_inbox(
    pipeline: Pipeline,
    *,
    inbox: Path,
    source_id: str,
    preset: str,
    settle_seconds: float,
) -> list[tuple[Path, IngestStats]]:
    """Ingest every settled file in the inbox once (see ``ingest_inbox_file``)."""
    storage_folder(inbox, what="the inbox folder")
    return [
        ingest_inbox_file(pipeline, path=path, parent=source_id, preset=preset)
        for path in ready_files(inbox=inbox, now=time.time(), settle_seconds=settle_seconds)
    ]


def _finish_poll(
    pipeline: Pipeline, stats: IngestStats, run_id: int, *, error: str | None
) -> IngestStats:
    with pipeline.sessions.begin() as session:
        finish_run(session, run_id=run_id, now=pipeline.clock(), error=error)
        _record_outcome(session.get(Source, stats.source_id), now=pipeline.clock(), error=error)
    stats.error = error
    return stats


def _record_failure(
    pipeline: Pipeline, source_id: str, kind: str, location: str, error: str, stats: IngestStats
) -> IngestStats:
    now = pipeline.clock()
    with pipeline.sessions.begin() as session:
        source = ensure_source(session, source_id=source_id, kind=kind, location=location, now=now)
        _record_outcome(source, now=now, error=error)
    stats.error = error
    return stats


@contextmanager
def recorded_failure(pipeline: Pipeline, *, source_id: str, run_id: int) -> Iterator[None]:
    """An unexpected error while storing (not bad input: a missing model file, a lost database
    connection) still ends the run as failed and counts against the source, then propagates."""
    try:
        yield
    except (CollectorError, OSError):
        raise  # bad input: the caller records it and carries on
    except Exception as exc:
        error = f"{type(exc).__name__}: {_one_line(exc)}"
        try:
            with pipeline.sessions.begin() as session:
                finish_run(session, run_id=run_id, now=pipeline.clock(), error=error)
                _record_outcome(session.get(Source, source_id), now=pipeline.clock(),
                                error=error)
        except Exception:  # noqa: BLE001 - the database itself may be what failed
            log.exception("could not record the failed run %s of %s", run_id, source_id)
        raise


def _record_outcome(source: Source | None, *, now: Any, error: str | None) -> None:
    if source is None:
        return
    source.last_polled_at = now
    if error:
        source.last_error, source.last_error_at = error, now
        source.consecutive_failures = (source.consecutive_failures or 0) + 1
    else:
        source.last_success_at = now
        source.consecutive_failures = 0


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())[:500]
