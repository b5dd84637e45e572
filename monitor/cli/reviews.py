"""CLI commands for post-incident reviews: ``incident review``, ``actions``, ``action``."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from monitor.cli.common import UserError, emit, parse_when, pass_ctx, plural, table
from monitor.cli.incidents import (
    incident_context,
    incident_errors,
    incident_group,
    incident_session,
    parse_id,
)

if TYPE_CHECKING:
    from monitor.cli.common import Context
    from monitor.incidents.reviews import ActionView, ReviewChange

EXPORT_FORMATS = ("md", "confluence")


def read_due(value: str, *, now: datetime, zone: str) -> datetime:
    """``--due``: a time as printed, a date (due by its end, 23:59) or a span from now (7d)."""
    text = value.strip()
    if len(text) == 10 and text[4:5] == "-" and text[7:8] == "-":
        return parse_when(f"{text} 23:59", now=now, zone=zone, option="due")
    return parse_when(text, now=now, zone=zone, option="due", ahead=True)


def _form_due_reader(now: datetime, zone: str) -> Any:
    def read(value: str) -> datetime:
        try:
            return read_due(value, now=now, zone=zone)
        except UserError:
            raise ValueError(
                f"expected a time like 2026-12-20 18:00, a date like 2026-12-20 or a span "
                f"from now like 7d, got {value!r}"
            ) from None

    return read


def _require_by(by: str | None) -> str:
    if by is None or not by.strip():
        raise UserError("error: --by: say who edits the review (e.g. --by Ana)")
    return by


def _option_change(
    existing: Any,
    *,
    summary: str | None,
    causes: tuple[str, ...],
    went_well: tuple[str, ...],
    went_badly: tuple[str, ...],
    revisions: tuple[str, ...],
    actions: tuple[str, ...],
    owner: str | None,
    due: str | None,
    complete: bool | None,
    now: datetime,
    zone: str,
) -> ReviewChange | None:
    """The change the edit options ask for (lists are added to), or None when none is given."""
    from monitor.incidents.reviews import ActionDraft, ReviewChange

    if actions and (owner is None or due is None):
        raise UserError("error: --action: give its --owner and --due too")
    if not actions and (owner is not None or due is not None):
        raise UserError("error: --owner and --due go with an --action")
    if (
        summary is None
        and not (causes or went_well or went_badly or revisions or actions)
        and (complete is None)
    ):
        return None
    due_at = read_due(due, now=now, zone=zone) if due is not None else now

    def more(old: tuple[str, ...], new: tuple[str, ...]) -> tuple[str, ...] | None:
        return (*old, *new) if new else None

    return ReviewChange(
        summary=summary,
        causes=more(existing.causes, causes),
        went_well=more(existing.went_well, went_well),
        went_badly=more(existing.went_badly, went_badly),
        revisions=more(existing.revisions, revisions),
        actions=tuple(ActionDraft(text=a, owner=owner or "", due_at=due_at) for a in actions),
        completed=complete,
    )


@incident_group.command("review")
@click.argument("incident_id")
@click.option("--by", default=None, help="Who edits the review (needed to change it).")
@click.option("--summary", default=None, help="What happened, in a few sentences (replaces).")
@click.option("--cause", "causes", multiple=True, help="A cause (repeatable; added).")
@click.option("--went-well", multiple=True, help="What went well (repeatable; added).")
@click.option("--went-badly", multiple=True, help="What went badly (repeatable; added).")
@click.option(
    "--action",
    "actions",
    multiple=True,
    help="A new action item (repeatable; each gets --owner and --due).",
)
@click.option("--owner", default=None, help="Who does the --action items.")
@click.option(
    "--due",
    default=None,
    help="When the --action items are due: 2026-12-20 18:00, a date (its end) or 7d.",
)
@click.option(
    "--revision",
    "revisions",
    multiple=True,
    help="A proposed playbook, script or watchlist revision (repeatable; added).",
)
@click.option(
    "--complete/--draft",
    "complete",
    default=None,
    help="Mark the review's conclusions final (the digest counts it), or a draft again.",
)
@click.option(
    "--form",
    "form_file",
    default=None,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Read the review form from FILE instead of opening $EDITOR.",
)
@click.option(
    "--show",
    is_flag=True,
    help="Print the review as Markdown (after the changes asked for, if any).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the review as JSON (after the changes asked for, if any).",
)
@click.option(
    "--export",
    "export",
    type=click.Choice(EXPORT_FORMATS),
    default=None,
    help="Print (or write with -o) the review as Markdown or Confluence storage format.",
)
@click.option(
    "-o",
    "--out",
    default=None,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="With --export: write to FILE.",
)
@pass_ctx
@incident_errors
def review_cmd(
    obj: Context,
    incident_id: str,
    by: str | None,
    summary: str | None,
    causes: tuple[str, ...],
    went_well: tuple[str, ...],
    went_badly: tuple[str, ...],
    actions: tuple[str, ...],
    owner: str | None,
    due: str | None,
    revisions: tuple[str, ...],
    complete: bool | None,
    form_file: Path | None,
    show: bool,
    as_json: bool,
    export: str | None,
    out: Path | None,
) -> None:
    """Open or edit the post-incident review (复盘): summary, causes, what went well and
    badly, action items, proposed revisions. Without options it opens $EDITOR on the review
    form; the options change it without an editor; --show, --json and --export print it."""
    from monitor.incidents.review_export import export_review, review_markdown
    from monitor.incidents.review_form import ReviewFormError, parse_form, render_form
    from monitor.incidents.reviews import edit_review, review_view

    number = parse_id(incident_id)
    if out is not None and export is None:
        raise UserError("error: -o/--out goes with --export md or --export confluence")
    with obj.app() as app:
        ctx = incident_context(app)
        now, zone = ctx.clock(), ctx.timezone
        with app.sessions.begin() as session:
            view = review_view(session, incident_id=number, now=now)
        change = _option_change(
            view,
            summary=summary,
            causes=causes,
            went_well=went_well,
            went_badly=went_badly,
            revisions=revisions,
            actions=actions,
            owner=owner,
            due=due,
            complete=complete,
            now=now,
            zone=zone,
        )
        if change is not None and form_file is not None:
            raise UserError(
                "error: --form replaces the whole review: give it without the edit options"
            )
        reading = show or as_json or export is not None
        edited: str | None = None
        if change is None and form_file is not None:
            edited = form_file.read_text(encoding="utf-8")
        elif change is None and not reading:
            _require_by(by)
            # no transaction stays open while someone types
            edited = click.edit(render_form(view, zone=zone), extension=".yaml", require_save=True)
            if edited is None:
                click.echo(f"review of incident #{number} unchanged")
                return
        if edited is not None:
            try:
                change = parse_form(
                    edited,
                    read_due=_form_due_reader(now, zone),
                    known_ids={a.id for a in view.actions},
                )
            except ReviewFormError as exc:
                kept = form_file or _keep(edited, number)
                hint = (
                    f"your edit is kept in {kept}: fix it and run `crisiswatch incident "
                    f"review {number} --form {kept} --by {by or 'NAME'}`"
                )
                raise UserError("\n".join([*(f"error: {p}" for p in exc.problems), hint])) from None
        if change is not None:
            who = _require_by(by)
            with app.sessions.begin() as session:
                edit_review(session, incident_id=number, change=change, by=who, now=now)
                after = review_view(session, incident_id=number, now=now)
            click.echo(_saved_line(view, after), err=reading)
            view = after
    if as_json:
        emit(view.to_dict(), as_json=True, render=lambda: None)
    elif export is not None:
        text = export_review(view, fmt=export, zone=zone)
        if out is None:
            click.echo(text, nl=not text.endswith("\n"))
        else:
            out.write_text(text, encoding="utf-8")
            click.echo(f"wrote {out}")
    elif show:
        click.echo(review_markdown(view, zone=zone))


def _keep(text: str, number: int) -> Path:
    """The edited form saved where the user can fix it (the editor's file is gone)."""
    fd, name = tempfile.mkstemp(prefix=f"crisiswatch-review-{number}-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return Path(name)


def _saved_line(before: Any, after: Any) -> str:
    """``review of incident #3 saved: 2 causes, 1 action item (#4) added, ...``."""
    parts = []
    for label, name in (
        ("cause", "causes"),
        ("went-well line", "went_well"),
        ("went-badly line", "went_badly"),
        ("revision", "revisions"),
    ):
        count = len(getattr(after, name))
        if count != len(getattr(before, name)) or getattr(after, name) != getattr(before, name):
            parts.append(plural(count, label))
    old_ids = {a.id for a in before.actions}
    new = [a.id for a in after.actions if a.id not in old_ids]
    if new:
        parts.append(f"{plural(len(new), 'action item')} added ({', '.join(f'#{i}' for i in new)})")
    changed = [a.id for a in after.actions if a.id in old_ids and a not in before.actions]
    if changed:
        parts.append(f"action item(s) {', '.join(f'#{i}' for i in changed)} changed")
    if after.summary != before.summary:
        parts.append("summary")
    if after.completed_at != before.completed_at:
        parts.append("completed" if after.completed_at else "back to draft")
    what = "; ".join(parts) or "no change"
    return f"review of incident #{after.incident_id} saved: {what}"


@click.command("actions")
@click.option("--overdue", is_flag=True, help="Only open items past their due time.")
@click.option("--all", "all_states", is_flag=True, help="Done and dropped items too.")
@click.option("--incident", "incident_id", default=None, help="Only this incident's items.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
@incident_errors
def actions_cmd(
    obj: Context, overdue: bool, all_states: bool, incident_id: str | None, as_json: bool
) -> None:
    """List review action items (open ones by default), soonest due first."""
    from alerts.sanitize import one_line
    from alerts.times import format_time
    from monitor.incidents.reviews import list_actions
    from monitor.incidents.states import ACTION_OPEN, ACTION_STATES

    with incident_session(obj) as (_, ctx, session):
        rows = list_actions(
            session,
            now=ctx.clock(),
            overdue=overdue,
            states=ACTION_STATES if all_states else (ACTION_OPEN,),
            incident_id=parse_id(incident_id) if incident_id is not None else None,
        )

    def render() -> None:
        if not rows:
            click.echo("no overdue action items" if overdue else "no action items")
            return
        cells = [
            [
                f"#{a.id}",
                f"#{a.incident_id}",
                format_time(a.due_at, ctx.timezone),
                a.state + (" (overdue)" if a.overdue else ""),
                one_line(a.owner, 30),
                a.jira_key or "",
                one_line(a.text, 80),
            ]
            for a in rows
        ]
        for line in table(["ID", "INCIDENT", "DUE", "STATE", "OWNER", "JIRA", "ACTION"], cells):
            click.echo(line)

    emit([a.to_dict() for a in rows], as_json=as_json, render=render)


@click.group("action")
def action_group() -> None:
    """One review action item: mark it done, dropped or open again, or push items to Jira."""


def _state_command(name: str, state: str, doc: str) -> click.Command:
    @click.command(name, help=doc)
    @click.argument("action_id")
    @click.option("--by", required=True, help="Who changes it.")
    @pass_ctx
    @incident_errors
    def command(obj: Context, action_id: str, by: str) -> None:
        from alerts.times import format_time
        from monitor.incidents.reviews import set_action_state

        with incident_session(obj) as (_, ctx, session):
            view = set_action_state(
                session, action_id=_action_id(action_id), state=state, by=by, now=ctx.clock()
            )
        click.echo(
            f"action item #{view.id} (incident #{view.incident_id}) {state} by "
            f"{view.state_changed_by} at {format_time(view.state_changed_at, ctx.timezone)}"
        )

    return command


def _action_id(value: str) -> int:
    text = value.strip().lstrip("#")
    if not text.isdigit():
        raise UserError(f"error: expected an action item number like 4, got {value!r}")
    return int(text)


action_group.add_command(_state_command("done", "done", "Mark an action item done."))
action_group.add_command(
    _state_command("drop", "dropped", "Drop an action item (no longer needed; kept in the review).")
)
action_group.add_command(_state_command("reopen", "open", "Open a done or dropped item again."))


@action_group.command("push")
@click.argument("action_ids", nargs=-1)
@click.option("--incident", "incident_id", default=None, help="Only this incident's open items.")
@pass_ctx
@incident_errors
def push_cmd(obj: Context, action_ids: tuple[str, ...], incident_id: str | None) -> None:
    """Create a Jira issue for each open action item not pushed yet (or for ACTION_IDS);
    needs integrations.jira. Exit 1 when Jira refused any."""
    import httpx

    from monitor.incidents.jira_push import JiraError, create_issue, jira_headers, record_key
    from monitor.incidents.reviews import list_actions
    from monitor.incidents.states import ACTION_OPEN, ACTION_STATES

    wanted = {_action_id(a) for a in action_ids}
    with obj.app() as app:
        ctx = incident_context(app)
        jira = app.settings.integrations.jira
        if jira is None:
            raise UserError(
                "error: integrations.jira is not configured (see docs/configuration.md)"
            )
        try:
            headers = jira_headers(jira, os.environ)
        except JiraError as exc:
            raise UserError(f"error: {exc}") from None
        with app.sessions.begin() as session:
            rows = list_actions(
                session,
                now=ctx.clock(),
                states=ACTION_STATES if wanted else (ACTION_OPEN,),
                incident_id=parse_id(incident_id) if incident_id is not None else None,
            )
        items: list[ActionView] = [a for a in rows if not wanted or a.id in wanted]
        missing = wanted - {a.id for a in items}
        if missing:
            raise UserError(f"error: no action item {', '.join(f'#{i}' for i in sorted(missing))}")
        http = app.settings.http
        timeout = httpx.Timeout(
            connect=http.connect_timeout,
            read=http.read_timeout,
            write=http.read_timeout,
            pool=http.connect_timeout,
        )
        failed: list[str] = []
        created = skipped = 0
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            for item in items:
                if item.jira_key:
                    skipped += 1
                    click.echo(f"action item #{item.id} is already in Jira as {item.jira_key}")
                    continue
                try:
                    key = create_issue(
                        client, item, settings=jira, headers=headers, zone=ctx.timezone
                    )
                except JiraError as exc:
                    failed.append(f"error: {exc}")
                    continue
                # stored at once: a later failure must not lose it (and so push it twice)
                with app.sessions.begin() as session:
                    record_key(session, action_id=item.id, key=key)
                created += 1
                click.echo(f"action item #{item.id} -> {key}")
    summary = f"{plural(created, 'issue')} created in Jira"
    if skipped:
        summary += f", {skipped} already there"
    if failed:
        raise UserError("\n".join([*failed, f"{summary}, {len(failed)} refused"]))
    click.echo(summary)


def register(group: click.Group) -> None:
    """Add ``actions`` and ``action`` to the CLI (``incident review`` joins ``incident``)."""
    for command in (actions_cmd, action_group):
        group.add_command(command)
