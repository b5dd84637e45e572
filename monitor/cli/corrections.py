"""CLI commands that correct the grouping: ``incident merge|split|move-mention|link``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from monitor.cli.common import Context, UserError, pass_ctx, plural
from monitor.cli.incidents import (
    incident_errors,
    incident_group,
    incident_session,
    parse_id,
    person_by,
    queued_note,
)

if TYPE_CHECKING:
    from monitor.app import App
    from monitor.incidents.corrections import StoryRules

BY = click.option(
    "--by",
    required=True,
    help="Who makes the correction (a person id from people, when people are configured).",
)


def _rules(app: App) -> StoryRules:
    from monitor.incidents.corrections import StoryRules

    return StoryRules(params=app.stories.params, names=app.stories.names)


def _parse_ids(value: str) -> list[int]:
    try:
        ids = [int(part.strip().lstrip("#")) for part in value.split(",") if part.strip()]
    except ValueError:
        raise UserError(
            f"error: --mentions: expected mention ids like 12,13, got {value!r}"
        ) from None
    if not ids:
        raise UserError("error: --mentions: name at least one mention id")
    return ids


@click.command("merge")
@click.argument("into")
@click.argument("other")
@BY
@pass_ctx
@incident_errors
def merge_cmd(obj: Context, into: str, other: str, by: str) -> None:
    """OTHER is the same story as INTO: its mentions, timeline and pending alerts move to
    INTO, which is regraded; OTHER is closed as merged. The stories stay merged for good."""
    from monitor.incidents.corrections import merge_incidents

    with incident_session(obj) as (app, ctx, session):
        result = merge_incidents(
            session,
            ctx=ctx,
            stories=_rules(app),
            into=parse_id(into),
            other=parse_id(other),
            by=person_by(ctx, by),
            now=ctx.clock(),
        )
    click.echo(
        f"merged #{result.other_id} into #{result.incident_id}: "
        f"{plural(result.moved, 'mention')} moved{queued_note(result.alerts)}"
    )


@click.command("split")
@click.argument("incident_id")
@click.option("--mentions", required=True, help="Mention ids that are another story: 12,13.")
@BY
@pass_ctx
@incident_errors
def split_cmd(obj: Context, incident_id: str, mentions: str, by: str) -> None:
    """The named mentions are another story: they leave the incident for a new story (and its
    own incident when they reach the floor)."""
    from monitor.incidents.corrections import split_incident

    with incident_session(obj) as (app, ctx, session):
        result = split_incident(
            session,
            ctx=ctx,
            stories=_rules(app),
            incident_id=parse_id(incident_id),
            mention_ids=_parse_ids(mentions),
            by=person_by(ctx, by),
            now=ctx.clock(),
        )
    where = f"incident #{result.other_id}" if result.other_id else "a new story (no incident)"
    click.echo(
        f"split {plural(result.moved, 'mention')} from #{result.incident_id} into {where}"
        f"{queued_note(result.alerts)}"
    )


@click.command("move-mention")
@click.argument("mention_id", type=int)
@click.option("--to", "to", required=True, help="The incident whose story it belongs to.")
@BY
@pass_ctx
@incident_errors
def move_mention_cmd(obj: Context, mention_id: int, to: str, by: str) -> None:
    """MENTION_ID belongs to another incident's story: move it there."""
    from monitor.incidents.corrections import move_mention

    with incident_session(obj) as (app, ctx, session):
        result = move_mention(
            session,
            ctx=ctx,
            stories=_rules(app),
            mention_id=mention_id,
            to=parse_id(to),
            by=person_by(ctx, by),
            now=ctx.clock(),
        )
    came = f" from #{result.other_id}" if result.other_id else ""
    click.echo(
        f"moved mention #{mention_id}{came} to #{result.incident_id}{queued_note(result.alerts)}"
    )


@click.command("link")
@click.argument("first")
@click.argument("second")
@BY
@pass_ctx
@incident_errors
def link_cmd(obj: Context, first: str, second: str, by: str) -> None:
    """Mark two incidents' stories as related; both stay as they are."""
    from monitor.incidents.corrections import link_incidents

    with incident_session(obj) as (_, ctx, session):
        result = link_incidents(
            session, a=parse_id(first), b=parse_id(second), by=person_by(ctx, by), now=ctx.clock()
        )
    click.echo(f"linked #{result.incident_id} and #{result.other_id}")


def register(group: click.Group) -> None:
    """Add the corrections to the ``incident`` group (registered by monitor.cli.incidents)."""
    del group  # the commands belong to ``incident``, not to the top level
    for command in (merge_cmd, split_cmd, move_mention_cmd, link_cmd):
        incident_group.add_command(command)
