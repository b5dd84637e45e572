"""CLI commands for reply SLAs: ``reply`` records a reply to a mention, ``replies`` lists the
mentions that need one with their deadline, time left (or overdue by) and who replied."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from monitor.cli.common import Context, UserError, emit, parse_when, pass_ctx, table

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from monitor.replies.listing import ReplyRow


def _span(delta: timedelta) -> str:
    """A time span to the minute (``1h20m``, ``2d3h``; under a minute: ``0m``)."""
    from datetime import timedelta

    from config.durations import format_duration

    minutes = int(abs(delta).total_seconds() // 60)
    return format_duration(timedelta(minutes=minutes)) if minutes else "0m"


def status_text(row: ReplyRow, now: datetime) -> str:
    """``due in 1h20m``, ``overdue by 3h``, ``replied in 40m`` or ``replied 2h late``."""
    if row.replied_at is not None:
        if row.late():
            return f"replied {_span(row.replied_at - row.due_at)} late"
        return f"replied in {_span(row.replied_at - row.published)}"
    left = row.left(now)
    return f"overdue by {_span(left)}" if left.total_seconds() < 0 else f"due in {_span(left)}"


def row_json(row: ReplyRow, now: datetime) -> dict[str, Any]:
    """A reply row for ``--json`` (ISO 8601 times with their offset)."""
    return {
        "mention": row.mention_id,
        "source": row.source_id,
        "author": row.author,
        "entities": list(row.entities),
        "intent": row.intent,
        "basis": row.basis,
        "published": row.published.isoformat(),
        "due": row.due_at.isoformat(),
        "overdue": row.overdue(now),
        "seconds_left": None if row.replied_at else int(row.left(now).total_seconds()),
        "replied_at": row.replied_at.isoformat() if row.replied_at else None,
        "replied_by": row.replied_by,
        "verified": row.verified,
        "via": row.via,
        "status": status_text(row, now),
        "url": row.url,
        "text": row.text,
    }


@click.command("reply")
@click.argument("mention", type=int)
@click.option(
    "--by", "by", required=True, help="Who replied (a person's id when people are configured)."
)
@click.option("--note", default=None, help="What was replied, or where (e.g. a link).")
@click.option(
    "--at",
    "at",
    default=None,
    help="When the reply was made (default: now), e.g. 2026-11-30 18:00 or 2h (ago).",
)
@pass_ctx
def reply_cmd(ctx: Context, mention: int, by: str, note: str | None, at: str | None) -> None:
    """Record a reply to MENTION (its id in `crisiswatch mentions` and `replies`): the first
    one is measured against the mention's reply deadline."""
    from alerts.times import format_time
    from monitor.replies.record import ReplyError, record_reply, replier

    with ctx.app() as app:
        zone = app.settings.organisation.timezone
        now = app.pipeline.clock()
        when = now if at is None else parse_when(at, now=now, zone=zone, option="at")
        if when > now:
            raise UserError(f"error: --at: {format_time(when, zone)} is in the future")
        try:
            person = replier(app.roster, by)
            with app.sessions.begin() as session:
                done = record_reply(
                    session,
                    mention_id=mention,
                    by=person,
                    replied_at=when,
                    note=note,
                    via="cli",
                    now=now,
                )
        except ReplyError as exc:
            raise UserError(f"error: {exc}") from None
    who = done.by if person.verified else f"{done.by} (unverified: no people are configured)"
    line = f"mention {mention}: reply at {format_time(when, zone)} by {who} recorded"
    if done.due_at is None:
        line += "; it needed no reply"
    elif not done.first:
        line += "; an earlier reply counts for its deadline"
    elif when > done.due_at:
        line += f"; {_span(when - done.due_at)} after its deadline {format_time(done.due_at, zone)}"
    else:
        line += f"; within its deadline {format_time(done.due_at, zone)}"
    click.echo(line)


@click.command("replies")
@click.option("--overdue", is_flag=True, help="Only replies overdue now (nobody replied in time).")
@click.option("--entity", default=None, help="Only mentions of this entity id.")
@click.option(
    "--since",
    default="7d",
    show_default=True,
    help="Messages replied to are shown when published since then (a duration back, or a "
    "date); every message awaiting a reply is shown.",
)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@pass_ctx
def replies_cmd(
    ctx: Context, overdue: bool, entity: str | None, since: str, limit: int, as_json: bool
) -> None:
    """Mentions that need a reply (enquiries and complaints), soonest deadline first: the
    deadline, time left or overdue by, and who replied."""
    from alerts.sanitize import one_line
    from alerts.times import format_time
    from config.suggest import one_of
    from monitor.replies.listing import reply_rows

    with ctx.app() as app:
        known = [e.id for e in app.settings.entities]
        if entity is not None and entity not in known:
            raise UserError(f"error: --entity: unknown entity {entity!r}{one_of(entity, known)}")
        zone = app.settings.organisation.timezone
        now = app.pipeline.clock()
        start = parse_when(since, now=now, zone=zone, option="since")
        with app.sessions() as session:
            rows = reply_rows(
                session, now=now, overdue=overdue, entity=entity, since=start, limit=limit
            )

    def render() -> None:
        if not rows:
            click.echo("no overdue replies" if overdue else "no mentions need a reply")
            return
        cells = [
            [
                str(r.mention_id),
                r.intent,
                r.source_id,
                format_time(r.due_at, zone),
                status_text(r, now),
                (r.replied_by or "") + ("" if r.verified or not r.replied_by else " (unverified)"),
                one_line(r.text, 60),
            ]
            for r in rows
        ]
        header = ["mention", "intent", "source", "due", "status", "replied by", "text"]
        for line in table(header, cells, right={0}):
            click.echo(line)
        late = sum(r.overdue(now) for r in rows)
        if late and not overdue:
            click.echo(f"{late} {'reply' if late == 1 else 'replies'} overdue")

    emit([row_json(r, now) for r in rows], as_json=as_json, render=render)


def register(group: click.Group) -> None:
    """Add the ``reply`` and ``replies`` commands."""
    group.add_command(reply_cmd)
    group.add_command(replies_cmd)
