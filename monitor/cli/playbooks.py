"""CLI commands for silences, playbook checks and response scripts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli.common import Context, UserError, emit, parse_when, pass_ctx
from monitor.cli.incidents import incident_errors, incident_session, person_by

if TYPE_CHECKING:
    from monitor.incidents.context import IncidentContext


def config_context(obj: Context) -> IncidentContext:
    """Playbooks and scripts from the configuration alone (no database needed)."""
    from monitor.incidents.context import build_incident_context

    loaded = obj.config()
    return build_incident_context(loaded.settings, loaded.base_dir)


@click.group("silence")
def silence_group() -> None:
    """Silences: known noise alerts nobody (incidents are still recorded)."""


@silence_group.command("add")
@click.option("--entity", default=None, help="Entity id to silence.")
@click.option("--category", default=None, help="Risk category to silence.")
@click.option("--source", default=None, help="Source id to silence.")
@click.option("--until", "until", required=True, help="How long (4h, 2d) or until when (ISO).")
@click.option("--reason", required=True, help="Why (shown on every suppressed alert).")
@click.option(
    "--by",
    "by",
    required=True,
    help="Who decided (a person id from people, when people are configured).",
)
@pass_ctx
@incident_errors
def silence_add(
    obj: Context,
    entity: str | None,
    category: str | None,
    source: str | None,
    until: str,
    reason: str,
    by: str,
) -> None:
    """Silence an entity, a category or a source (all given must match) until a time."""
    from alerts.times import format_time
    from monitor.incidents.silences import add_silence, scope_problem, silence_sources

    with incident_session(obj) as (app, ctx, session):
        now = ctx.clock()
        problem = scope_problem(entity=entity, category=category, source=source,
                                entities=list(ctx.entity_names), categories=ctx.categories,
                                sources=silence_sources(session, settings=app.settings))
        if problem is not None:
            raise UserError(f"error: --{problem}")
        row = add_silence(
            session,
            entity=entity,
            category=category,
            source=source,
            until=parse_when(until, now=now, zone=ctx.timezone, option="until", ahead=True),
            reason=reason,
            by=person_by(ctx, by),
            now=now,
        )
        click.echo(f"silence #{row.id} until {format_time(row.until, ctx.timezone)}")


@silence_group.command("list")
@click.option("--all", "include_expired", is_flag=True, help="Include expired silences.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
@incident_errors
def silence_list(obj: Context, include_expired: bool, as_json: bool) -> None:
    """Silences in force (or all of them)."""
    from alerts.sanitize import one_line
    from alerts.times import format_time
    from monitor.incidents.silences import list_silences, silence_to_dict

    with incident_session(obj) as (_, ctx, session):
        now = ctx.clock()
        rows = [
            silence_to_dict(r, now=now)
            for r in list_silences(session, now=now, include_expired=include_expired)
        ]

    def render() -> None:
        if not rows:
            click.echo("no silences")
        for r in rows:
            scope = ", ".join(f"{k}={r[k]}" for k in ("entity", "category", "source") if r[k])
            state = "" if r["active"] else " (expired)"
            click.echo(
                f"#{r['id']} {scope} until {format_time(str(r['until']), ctx.timezone)}{state} by "
                f"{one_line(str(r['created_by']), 60)}: {one_line(str(r['reason']), 200)}"
            )

    emit(rows, as_json=as_json, render=render)


@silence_group.command("remove")
@click.argument("silence_id", type=int)
@pass_ctx
@incident_errors
def silence_remove(obj: Context, silence_id: int) -> None:
    """Remove a silence: matching incidents alert again from their next step."""
    from monitor.incidents.silences import remove_silence

    with incident_session(obj) as (_, _ctx, session):
        remove_silence(session, silence_id=silence_id)
    click.echo(f"silence #{silence_id} removed")


@click.group("playbooks")
def playbooks_group() -> None:
    """Graded playbooks."""


@playbooks_group.command("check")
@pass_ctx
@incident_errors
def playbooks_check(obj: Context) -> None:
    """Validate playbooks and scripts; name unknown channels. Exit 1 on any problem."""
    from monitor.incidents.context import known_placeholders
    from playbooks import NotifyStep, check_playbooks

    ctx = config_context(obj)
    now = ctx.clock()
    problems = check_playbooks(
        playbooks=ctx.playbooks,
        known_channels=ctx.known_channels,
        scripts=ctx.scripts,
        now=now,
        known_placeholders=known_placeholders(ctx),
    )
    disabled = sorted(ctx.known_channels - ctx.channels)
    for playbook in ctx.playbooks:
        used = {c for step in playbook.steps if isinstance(step, NotifyStep) for c in step.channels}
        for name in sorted(used & set(disabled)):
            click.echo(f"warning: playbook '{playbook.name}' notifies disabled channel '{name}'")
    for line in problems:
        click.echo(line)
    if problems:
        raise UserError(f"{len(problems)} problem(s) in playbooks or scripts")
    click.echo(
        f"OK: {len(ctx.playbooks)} playbooks ({', '.join(p.name for p in ctx.playbooks)}), "
        f"{len(ctx.scripts)} scripts, channels: {', '.join(sorted(ctx.known_channels))}"
    )


@click.group("scripts")
def scripts_group() -> None:
    """Pre-approved response scripts."""


@scripts_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
@incident_errors
def scripts_list(obj: Context, as_json: bool) -> None:
    """Every script with its approval status and review steps (a step passed on an earlier
    text or expired does not count)."""
    from playbooks import approval_status, text_sha256

    ctx = config_context(obj)
    now = ctx.clock()
    rows = []
    for script in ctx.scripts:
        status = approval_status(script=script, now=now)
        rows.append(
            {
                "id": script.id,
                "scenario": script.scenario,
                "lang": script.lang,
                "title": script.title,
                "approved": status.approved,
                "status": status.reason,
                "reviews": [
                    {
                        "step": r.step,
                        "by": r.by,
                        "verified": r.verified,
                        "at": r.at.isoformat(),
                        "expires_at": r.expires_at.isoformat(),
                        "current": r.sha256 == text_sha256(script.text) and now < r.expires_at,
                    }
                    for r in script.reviews
                ],
                "file": script.source,
            }
        )

    def render() -> None:
        for r in rows:
            mark = "ok " if r["approved"] else "NO "
            click.echo(f"{mark} {r['id']:<42} {r['lang']:<5} {r['status']}")

    emit(rows, as_json=as_json, render=render)


_DAYS = click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=180,
    show_default=True,
    help="How long the review lasts.",
)


@scripts_group.command("review")
@click.argument("script_id")
@click.option("--step", required=True, help="The review step passed (playbooks.review_steps).")
@click.option("--by", "by", required=True, help="Who reviewed it: a person holding that role.")
@_DAYS
@pass_ctx
@incident_errors
def scripts_review(obj: Context, script_id: str, step: str, by: str, days: int) -> None:
    """Record one review step of a script's current text (bound to its hash)."""
    _record_review(config_context(obj), script_id=script_id, step=step, by=by, days=days)


@scripts_group.command("approve")
@click.argument("script_id")
@click.option("--by", "by", required=True, help="Who signs off the text as it is now.")
@_DAYS
@pass_ctx
@incident_errors
def scripts_approve(obj: Context, script_id: str, by: str, days: int) -> None:
    """Sign off a script: its last review step (the others are ``scripts review``)."""
    ctx = config_context(obj)
    _record_review(ctx, script_id=script_id, step=ctx.review_steps[-1], by=by, days=days)


def _record_review(
    ctx: IncidentContext, *, script_id: str, step: str, by: str, days: int
) -> None:
    from config.suggest import one_of
    from playbooks import approval_status, review_script_in_file

    if ctx.scripts_are_defaults:
        raise UserError(
            "error: the shipped scripts are read-only: copy "
            f"{ctx.script_paths[0]} next to your configuration, list it under "
            "playbooks.scripts, then review scripts there"
        )
    if step not in ctx.review_steps:
        hint = one_of(step, ctx.review_steps)
        raise UserError(f"error: --step: unknown review step {step!r}{hint}")
    script = next((s for s in ctx.scripts if s.id == script_id), None)
    if script is None:
        hint = one_of(script_id, [s.id for s in ctx.scripts])
        raise UserError(f"error: no script {script_id!r} in playbooks.scripts{hint}")
    try:
        person = ctx.roster.reviewer(by, role=step)
    except ValueError as exc:
        raise UserError(f"error: --by: {exc}") from None
    now = ctx.clock()
    reviewed = review_script_in_file(
        path=Path(script.source),
        script_id=script_id,
        step=step,
        by=person.id if person else by,
        now=now,
        valid_for=timedelta(days=days),
        verified=person is not None,
        review_steps=ctx.review_steps,
    )
    record = reviewed.review(step)
    assert record is not None
    who = (
        f"{person.name} ({person.id})"
        if person
        else f"{record.by} (unverified: no people configured)"
    )
    status = approval_status(script=reviewed, now=now)
    click.echo(
        f"{step} review of {script_id} by {who} until {record.expires_at.date().isoformat()} "
        f"({script.source}); {'usable' if status.approved else status.reason}"
    )


def register(group: click.Group) -> None:
    for command in (silence_group, playbooks_group, scripts_group):
        group.add_command(command)
