"""CLI commands ``oncall``: who is on call, overrides, shift swaps and the iCalendar export."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from monitor.cli.common import Context, UserError, emit, parse_when, pass_ctx, table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from monitor.app import App

F = TypeVar("F", bound=Callable[..., Any])


def oncall_errors(func: F) -> F:
    """An unknown schedule or person, or a refused override or swap: one line, exit 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from monitor.oncall.store import OncallError

        try:
            return func(*args, **kwargs)
        except OncallError as exc:
            raise UserError(f"error: {exc}") from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def oncall_session(obj: Context) -> Iterator[tuple[App, Session, datetime]]:
    """The app, one transaction committed on success, and now."""
    with obj.app() as app, app.sessions.begin() as session:
        yield app, session, app.pipeline.clock()


def _when(value: str, *, now: datetime, zone: str, option: str) -> datetime:
    return parse_when(value, now=now, zone=zone, option=option, ahead=True)


@click.group("oncall", invoke_without_command=True)
@click.option("--schedule", "schedule_id", default=None, help="Only this schedule (by id).")
@click.option("--at", "at", default=None, help="At this time (or a duration ahead: 8h), not now.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@oncall_errors
def oncall_group(
    click_ctx: click.Context, schedule_id: str | None, at: str | None, as_json: bool
) -> None:
    """Who is on call now (or at --at) for each schedule, until when, and who is next."""
    if click_ctx.invoked_subcommand is not None:
        return
    from monitor.oncall.views import oncall_line, oncall_views

    obj = click_ctx.find_object(Context)
    assert obj is not None
    with oncall_session(obj) as (app, session, now):
        zone = app.settings.organisation.timezone
        moment = now if at is None else _when(at, now=now, zone=zone, option="at")
        views = oncall_views(
            session=session,
            roster=app.roster,
            settings=app.settings,
            at=moment,
            schedule_id=schedule_id,
        )

    def render() -> None:
        if not views:
            click.echo("no schedules (add some under schedules: in the configuration)")
        for view in views:
            click.echo(oncall_line(view, zone))

    emit(views, as_json=as_json, render=render)


@oncall_group.command("override")
@click.option("--schedule", "schedule_id", required=True, help="Schedule id.")
@click.option("--person", required=True, help="Person id put on call.")
@click.option("--from", "start", default=None, help="From this time (default: now).")
@click.option("--to", "end", required=True, help="Until this time, or a duration after --from.")
@click.option("--reason", default="", help="Why (shown in the list).")
@click.option("--by", "by", required=True, help="Who decided (a person id).")
@pass_ctx
@oncall_errors
def override_add(
    obj: Context,
    schedule_id: str,
    person: str,
    start: str | None,
    end: str,
    reason: str,
    by: str,
) -> None:
    """Put a person on call for a schedule from a time to a time, over its rotation."""
    from alerts.times import format_time
    from monitor.oncall.store import add_override

    with oncall_session(obj) as (app, session, now):
        zone = app.settings.organisation.timezone
        begin = now if start is None else _when(start, now=now, zone=zone, option="from")
        row = add_override(
            session,
            roster=app.roster,
            schedule_id=schedule_id,
            person=person,
            start=begin,
            end=_when(end, now=begin, zone=zone, option="to"),
            reason=reason,
            by=by,
            now=now,
            zone=zone,
        )
        click.echo(
            f"override #{row.id}: {row.person_id} on call for {row.schedule_id} from "
            f"{format_time(row.starts_at, zone)} to {format_time(row.ends_at, zone)}"
        )


@oncall_group.command("overrides")
@click.option("--schedule", "schedule_id", default=None, help="Only this schedule.")
@click.option("--all", "include_past", is_flag=True, help="Include overrides that are over.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def override_list(obj: Context, schedule_id: str | None, include_past: bool, as_json: bool) -> None:
    """Overrides not over yet (or all), soonest first."""
    from alerts.sanitize import one_line
    from alerts.times import format_time
    from monitor.oncall.store import list_overrides, override_to_dict

    with oncall_session(obj) as (app, session, now):
        zone = app.settings.organisation.timezone
        rows = [
            override_to_dict(r, now=now)
            for r in list_overrides(
                session, schedule_id=schedule_id, now=now, include_past=include_past
            )
        ]

    def render() -> None:
        if not rows:
            click.echo("no overrides")
            return
        lines = [
            [
                f"#{r['id']}",
                str(r["schedule"]),
                str(r["person"]) + (" (now)" if r["active"] else ""),
                format_time(str(r["from"]), zone),
                format_time(str(r["to"]), zone),
                f"{r['created_by']}, {format_time(str(r['created_at']), zone)}",
                one_line(str(r["reason"]), 80),
            ]
            for r in rows
        ]
        header = ("id", "schedule", "person", "from", "to", "by", "reason")
        for line in table(header, lines):
            click.echo(line)

    emit(rows, as_json=as_json, render=render)


@oncall_group.command("remove-override")
@click.argument("override_id", type=int)
@pass_ctx
@oncall_errors
def override_remove(obj: Context, override_id: int) -> None:
    """Remove an override: the rotation applies again."""
    from monitor.oncall.store import remove_override

    with oncall_session(obj) as (_app, session, _now):
        remove_override(session, override_id=override_id)
    click.echo(f"override #{override_id} removed")


@oncall_group.command("swap")
@click.option("--schedule", "schedule_id", required=True, help="Schedule id.")
@click.option("--person", required=True, help="Whose shift it is (person id).")
@click.option("--with", "taken_by", required=True, help="Who takes it (person id).")
@click.option("--shift", "shift", required=True, help="When the shift starts (as listed).")
@click.option("--reason", default="", help="Why (shown in the list).")
@click.option("--by", "by", required=True, help="Who agreed it (a person id).")
@pass_ctx
@oncall_errors
def swap_add(
    obj: Context,
    schedule_id: str,
    person: str,
    taken_by: str,
    shift: str,
    reason: str,
    by: str,
) -> None:
    """Give one shift of a person (the one starting at --shift) to another person."""
    from alerts.times import format_time
    from monitor.oncall.lookup import organisation_rota
    from monitor.oncall.store import add_swap

    with oncall_session(obj) as (app, session, now):
        zone = app.settings.organisation.timezone
        row = add_swap(
            session,
            roster=app.roster,
            rota=organisation_rota(app.settings, app.roster, schedule_id),
            person=person,
            taken_by=taken_by,
            shift_start=_when(shift, now=now, zone=zone, option="shift"),
            reason=reason,
            by=by,
            now=now,
            zone=zone,
        )
        click.echo(
            f"swap #{row.id}: {row.with_person_id} takes {row.person_id}'s {row.schedule_id} "
            f"shift starting {format_time(row.shift_start, zone)}"
        )


@oncall_group.command("swaps")
@click.option("--schedule", "schedule_id", default=None, help="Only this schedule.")
@click.option("--all", "include_past", is_flag=True, help="Include swaps of past shifts.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def swap_list(obj: Context, schedule_id: str | None, include_past: bool, as_json: bool) -> None:
    """Shift swaps of recent and coming shifts (or all), soonest first."""
    from alerts.sanitize import one_line
    from alerts.times import format_time
    from monitor.oncall.store import list_swaps, swap_to_dict

    with oncall_session(obj) as (app, session, now):
        zone = app.settings.organisation.timezone
        rows = [
            swap_to_dict(r)
            for r in list_swaps(
                session, schedule_id=schedule_id, now=now, include_past=include_past
            )
        ]

    def render() -> None:
        if not rows:
            click.echo("no swaps")
            return
        lines = [
            [
                f"#{r['id']}",
                str(r["schedule"]),
                format_time(str(r["shift_start"]), zone),
                f"{r['person']} -> {r['with']}",
                f"{r['created_by']}, {format_time(str(r['created_at']), zone)}",
                one_line(str(r["reason"]), 80),
            ]
            for r in rows
        ]
        header = ("id", "schedule", "shift", "from -> to", "by", "reason")
        for line in table(header, lines):
            click.echo(line)

    emit(rows, as_json=as_json, render=render)


@oncall_group.command("remove-swap")
@click.argument("swap_id", type=int)
@pass_ctx
@oncall_errors
def swap_remove(obj: Context, swap_id: int) -> None:
    """Remove a swap: the shift goes back to its person."""
    from monitor.oncall.store import remove_swap

    with oncall_session(obj) as (_app, session, _now):
        remove_swap(session, swap_id=swap_id)
    click.echo(f"swap #{swap_id} removed")


@oncall_group.command("export")
@click.argument("schedule_id")
@click.option("--weeks", type=click.IntRange(1, 52), default=4, show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: SCHEDULE.ics in the current folder; - for stdout).",
)
@pass_ctx
@oncall_errors
def export(obj: Context, schedule_id: str, weeks: int, output: Path | None) -> None:
    """Write an iCalendar file (.ics) of a schedule's shifts for the next weeks."""
    from monitor.oncall.views import export_calendar

    with oncall_session(obj) as (app, session, now):
        text, count = export_calendar(
            session=session,
            roster=app.roster,
            settings=app.settings,
            schedule_id=schedule_id,
            now=now,
            weeks=weeks,
        )
    if output is not None and str(output) == "-":
        click.echo(text, nl=False)
        return
    target = output if output is not None else Path(f"{schedule_id}.ics")
    try:
        target.write_bytes(text.encode("utf-8"))
    except OSError as exc:
        raise UserError(f"error: {target}: {exc.strerror or exc}") from None
    click.echo(f"wrote {target}: {count} shifts of {schedule_id} over {weeks} weeks")


def register(group: click.Group) -> None:
    """Add the ``oncall`` command group."""
    group.add_command(oncall_group)
