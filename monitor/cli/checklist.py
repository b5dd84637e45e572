"""``crisiswatch incident check ID [ITEM] --by P``: the playbook checklist of an incident.

Without ITEM it lists the items with who ticked them; with ITEM (its number in the list) it
ticks it, or unticks it with ``--undo``. The library (monitor.incidents.checklist) records it
on the incident's timeline.
"""

from __future__ import annotations

import click

from monitor.cli.common import Context, UserError, pass_ctx
from monitor.cli.incidents import (
    incident_errors,
    incident_group,
    incident_session,
    parse_id,
    person_by,
)


@click.command("check")
@click.argument("incident_id")
@click.argument("item", type=click.IntRange(1), required=False)
@click.option("--by", "by", default=None,
              help="Who did it (needed with ITEM): a person id from people, when configured.")
@click.option("--undo", is_flag=True, help="Mark ITEM not done.")
@pass_ctx
@incident_errors
def check_cmd(obj: Context, incident_id: str, item: int | None, by: str | None,
              undo: bool) -> None:
    """List the incident's playbook checklist, or tick item ITEM (its number) as done."""
    from alerts.sanitize import one_line
    from alerts.times import format_time
    from monitor.incidents.checklist import incident_checklist, tick_item, untick_item

    number = parse_id(incident_id)
    with incident_session(obj) as (_, ctx, session):
        items = incident_checklist(session, ctx=ctx, incident_id=number)
        if item is not None:
            if not by:
                raise UserError("error: --by is required to tick an item")
            if item > len(items):
                raise UserError(f"error: incident #{number} has {len(items)} checklist item(s)")
            mark = untick_item if undo else tick_item
            mark(session, ctx=ctx, incident_id=number, key=items[item - 1].key,
                 by=person_by(ctx, by), now=ctx.clock())
            items = incident_checklist(session, ctx=ctx, incident_id=number)
    if not items:
        click.echo(f"incident #{number} has no playbook checklist")
    for entry in items:
        done = (f"  (done by {entry.done_by}, {format_time(entry.done_at, ctx.timezone)})"
                if entry.done_at is not None else "")
        click.echo(f"[{'x' if entry.done else ' '}] {entry.number}. "
                   f"{one_line(entry.text, 300)}{done}")


def register(group: click.Group) -> None:
    """Add ``check`` to the ``incident`` group (registered by monitor.cli.incidents)."""
    del group
    incident_group.add_command(check_cmd)
