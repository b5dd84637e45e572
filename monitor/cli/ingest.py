"""CLI commands that collect and show mentions: ingest, poll, sources, mentions."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from classifiers.intent_labels import INTENT_LABELS
from monitor.cli.common import Context, UserError, emit, parse_when, pass_ctx, table
from monitor.collectors.presets import AUTO

if TYPE_CHECKING:
    from monitor.app import App
    from monitor.db.models import Mention
    from monitor.pipeline.ingest import IngestStats


def format_stats(label: str, stats: IngestStats) -> str:
    """One line per ingest: counts, resume point, and the error if any."""
    if stats.skipped_unchanged:
        return f"{label}: unchanged since run #{stats.run_id}, nothing new (use --force to re-read)"
    line = (
        f"{label}: seen {stats.seen}, new {stats.new}, duplicate {stats.duplicate}, "
        f"unmatched {stats.unmatched}, rejected {stats.rejected}"
    )
    if stats.shared_ids:
        line += f"; {stats.shared_ids} kept apart from a different entry with the same id"
    if stats.resumed_from:
        line += f" (resumed after line {stats.resumed_from})"
    line += "".join(f"\n  warning: {warning}" for warning in stats.warnings)
    return line + (f"\n  error: {stats.error}" if stats.error else "")


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))


def _with_progress(path: Path, run: Any) -> IngestStats:
    """Run an ingest with a progress bar on a terminal for files over a few MB."""
    if not sys.stderr.isatty() or path.stat().st_size < 5_000_000:
        return run(None)  # type: ignore[no-any-return]
    with click.progressbar(length=_count_lines(path), label=path.name, file=sys.stderr) as bar:
        return run(bar.update)  # type: ignore[no-any-return]


@click.command()
@click.argument("target")
@click.option(
    "--preset",
    default=AUTO,
    show_default=True,
    help="Column mapping preset for a file; auto picks one from its header.",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "jsonl", "xlsx"]), default=None)
@click.option("--encoding", default=None, help="Text encoding of a file (detected by default).")
@click.option("--delimiter", default=None, help="CSV delimiter (sniffed by default).")
@click.option("--tz", default=None, help="Time zone of naive timestamps in a file (default UTC).")
@click.option(
    "--source-id",
    default=None,
    help="Source id for a file (default file/<platform>, or file/<file name>).",
)
@click.option("--force", is_flag=True, help="Re-read a file that was already ingested.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_ctx
def ingest(
    obj: Context,
    target: str,
    preset: str,
    fmt: str | None,
    encoding: str | None,
    delimiter: str | None,
    tz: str | None,
    source_id: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Ingest a configured source (by id) or an export file (by path)."""
    from monitor.collectors.base import CollectorError
    from monitor.collectors.identity import file_source_id
    from monitor.pipeline.collect import FileSpec, ingest_file, resolve_preset

    with obj.app() as app:
        configured = {s.id: s for s in app.settings.sources}
        if target in configured and not Path(target).is_file():
            source = configured[target]
            path = Path(app.sources[source.id].location(app.config.resolve))
            stats = (
                _with_progress(path, lambda p: app.poll_source(source, force=force, on_progress=p))
                if path is not None and path.is_file()
                else app.poll_source(source, force=force)
            )
        else:
            path = Path(target)
            if not path.is_file():
                known = ", ".join(sorted(configured)) or "none configured"
                raise UserError(f"error: {target}: no such file or source id (sources: {known})")
            spec = FileSpec(
                path=path.resolve(),
                fmt=fmt,
                preset=preset,
                encoding=encoding,
                delimiter=delimiter,
                tz=tz,
            )
            with contextlib.suppress(CollectorError, OSError):  # ingest_file reports it
                spec = resolve_preset(spec)
            sid = source_id or file_source_id(parent="file", preset=spec.preset, path=path)
            stats = _with_progress(
                path,
                lambda p: ingest_file(
                    app.pipeline, source_id=sid, spec=spec, force=force, on_progress=p
                ),
            )
        emit(
            stats.to_dict(), as_json=as_json, render=lambda: click.echo(format_stats(target, stats))
        )
        if stats.error:
            sys.exit(1)


@click.command()
@click.argument("source_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_ctx
def poll(obj: Context, source_id: str | None, as_json: bool) -> None:
    """Collect every enabled source and the inbox once (or one source by id); exit 1 if any
    failed."""
    with obj.app() as app:
        results = _poll(app, source_id)
        emit(
            [r.to_dict() for _, r in results],
            as_json=as_json,
            render=lambda: _echo_lines(format_stats(label, r) for label, r in results),
        )
    failed = [label for label, r in results if r.error]
    if failed:
        raise UserError(f"error: {len(failed)} of {len(results)} failed: {', '.join(failed)}")


def _poll(app: App, source_id: str | None) -> list[tuple[str, IngestStats]]:
    sources = [s for s in app.settings.sources if s.enabled and source_id in (None, s.id)]
    if source_id is not None and not sources:
        known = ", ".join(s.id for s in app.settings.sources) or "none configured"
        raise UserError(f"error: unknown or disabled source {source_id!r} (sources: {known})")
    results = [(s.id, app.poll_source(s)) for s in sources]
    if source_id is None:
        results += [(f"inbox {path.name}", stats) for path, stats in app.poll_inbox()]
    return results


@click.command("sources")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_ctx
def sources_cmd(obj: Context, as_json: bool) -> None:
    """Show each source's fetch state and last error."""
    from sqlalchemy import func, select

    from alerts.sanitize import one_line
    from alerts.times import format_time
    from monitor.db.models import Mention, Source

    with obj.app() as app, app.sessions() as session:
        zone = app.settings.organisation.timezone
        counts = dict(
            session.execute(
                select(Mention.source_id, func.count()).group_by(Mention.source_id)
            ).all()
        )
        rows: list[dict[str, Any]] = [
            {
                "id": s.id,
                "kind": s.kind,
                "location": s.location,
                "mentions": counts.get(s.id, 0),
                "last_success_at": s.last_success_at,
                "consecutive_failures": s.consecutive_failures,
                "last_error": s.last_error,
                "last_error_at": s.last_error_at,
                "bozo_reason": s.bozo_reason,
            }
            for s in session.scalars(select(Source).order_by(Source.id))
        ]

    def render() -> None:
        if not rows:
            click.echo("no sources collected yet: run `crisiswatch poll`")
            return
        cells = [
            [
                r["id"],
                r["kind"],
                str(r["mentions"]),
                format_time(r["last_success_at"], zone) if r["last_success_at"] else "never",
                str(r["consecutive_failures"]),
            ]
            for r in rows
        ]
        header, *lines = table(
            ["SOURCE", "KIND", "MENTIONS", "LAST OK", "FAILURES"], cells, right={2, 4}
        )
        click.echo(header)
        for r, line in zip(rows, lines, strict=True):
            click.echo(line)
            if r["last_error"]:
                click.echo(
                    f"  last error ({format_time(r['last_error_at'], zone)}): "
                    f"{one_line(r['last_error'], 500)}"
                )
            if r["bozo_reason"]:
                click.echo(f"  feed is malformed but readable: {r['bozo_reason']}")

    emit(rows, as_json=as_json, render=render)


@click.command()
@click.option("--since", default=None, help="Only newer than this: 24h, 7d or a date.")
@click.option("--entity", default=None, help="Only mentions of this entity id.")
@click.option("--source", "source_id", default=None, help="Only mentions from this source id.")
@click.option(
    "--intent",
    type=click.Choice(INTENT_LABELS),
    default=None,
    help="Only mentions judged to have this intent.",
)
@click.option("--story", "story_id", type=int, default=None, help="Only mentions of this story.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_ctx
def mentions(
    obj: Context,
    since: str | None,
    entity: str | None,
    source_id: str | None,
    intent: str | None,
    story_id: int | None,
    limit: int,
    as_json: bool,
) -> None:
    """List stored mentions, newest first."""
    from sqlalchemy import select

    from alerts.sanitize import one_line
    from alerts.times import format_time
    from monitor.clock import utcnow
    from monitor.db.models import Mention, MentionEntity

    with obj.app() as app, app.sessions() as session:
        zone = app.settings.organisation.timezone
        cutoff = parse_when(since, now=utcnow(), zone=zone, option="since") if since else None
        if entity is not None and entity not in {e.id for e in app.settings.entities}:
            known = ", ".join(e.id for e in app.settings.entities)
            raise UserError(f"error: unknown entity {entity!r} (entities: {known})")
        stmt = select(Mention).order_by(Mention.published_at.desc(), Mention.id.desc()).limit(limit)
        if cutoff is not None:
            stmt = stmt.where(Mention.published_at >= cutoff)
        if source_id is not None:
            stmt = stmt.where(Mention.source_id == source_id)
        if intent is not None:
            stmt = stmt.where(Mention.intent == intent)
        if story_id is not None:
            stmt = stmt.where(Mention.story_id == story_id)
        if entity is not None:
            stmt = stmt.join(MentionEntity, MentionEntity.mention_id == Mention.id).where(
                MentionEntity.entity_id == entity
            )
        rows = [_mention_dict(m) for m in session.scalars(stmt)]
        zone = app.settings.organisation.timezone

    def render() -> None:
        if not rows:
            click.echo("no mentions match")
        for r in rows:
            judged = f" {r['sentiment']}/{r['intent']['label']}" if r["intent"] else ""
            click.echo(
                f"#{r['id']} {format_time(r['published_at'], zone)} {r['source_id']} "
                f"[{','.join(r['entities'])}]{judged} {one_line(r['author'] or '-', 80)}: "
                f"{one_line(r['text'], 140)}"
            )

    emit(rows, as_json=as_json, render=render)


@click.command("rejected")
@click.option("--since", default=None, help="Only newer than this: 24h, 7d or a date.")
@click.option("--source", "source_id", default=None, help="Only rows from this source id.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_ctx
def rejected_cmd(
    obj: Context, since: str | None, source_id: str | None, limit: int, as_json: bool
) -> None:
    """List quarantined rows (rejected at ingest), newest first: file:line, reason, raw text."""
    from sqlalchemy import select

    from monitor.clock import utcnow
    from monitor.db.models import QuarantinedRow

    with obj.app() as app, app.sessions() as session:
        zone = app.settings.organisation.timezone
        cutoff = parse_when(since, now=utcnow(), zone=zone, option="since") if since else None
        stmt = select(QuarantinedRow).order_by(QuarantinedRow.id.desc()).limit(limit)
        if cutoff is not None:
            stmt = stmt.where(QuarantinedRow.created_at >= cutoff)
        if source_id is not None:
            stmt = stmt.where(QuarantinedRow.source_id == source_id)
        rows = [
            {
                "id": q.id,
                "source_id": q.source_id,
                "location": q.location,
                "line": q.line,
                "offset": q.offset,
                "error": q.error,
                "excerpt": q.excerpt,
                "created_at": q.created_at,
            }
            for q in session.scalars(stmt)
        ]

    def render() -> None:
        if not rows:
            click.echo("no rejected rows")
        for r in rows:
            where = f"{r['location']}:{r['line']}" if r["line"] is not None else r["location"]
            excerpt = " ".join(str(r["excerpt"]).split())[:100]
            click.echo(f"{r['source_id']}: {where}: {r['error']}\n    {excerpt}")

    emit(rows, as_json=as_json, render=render)


def _mention_dict(m: Mention) -> dict[str, Any]:
    return {
        "id": m.id,
        "source_id": m.source_id,
        "external_id": m.external_id,
        "published_at": m.published_at,
        "date_missing": m.date_missing,
        "author": m.author,
        "author_reach": m.author_reach,
        "lang": m.lang,
        "url": m.url,
        "text": m.text,
        "metrics": m.metrics,
        "entities": m.entities,
        "duplicate_of": m.duplicate_of,
        "story_id": m.story_id,
        "sentiment": m.sentiment,
        "intent": {"label": m.intent, "probs": m.intent_probs or {}} if m.intent else None,
        "top_category": m.top_category,
        "grade": m.grade,
    }


def register(group: click.Group) -> None:
    for command in (ingest, poll, sources_cmd, mentions, rejected_cmd):
        group.add_command(command)


def _echo_lines(lines: Iterable[str]) -> None:
    for line in lines:
        click.echo(line)
