"""CLI command ``stories``: the real-world stories mentions are grouped into."""

from __future__ import annotations

import click

from monitor.cli.common import Context, emit, parse_when, pass_ctx


@click.command("stories")
@click.option("--since", default=None, help="Seen since: a duration back (24h, 7d) or a date.")
@click.option("--entity", default=None, help="Only stories mentioning this entity id.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option(
    "--with-mentions", is_flag=True, help="List each story's mentions (id, source_id, external_id)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def stories_cmd(
    obj: Context,
    since: str | None,
    entity: str | None,
    limit: int,
    with_mentions: bool,
    as_json: bool,
) -> None:
    """List stories (one per real-world event), latest activity first."""
    from alerts.sanitize import one_line
    from alerts.times import format_time
    from monitor.incidents.story_views import list_stories

    with obj.app() as app:
        zone = app.settings.organisation.timezone
        now = app.pipeline.clock()
        cutoff = parse_when(since, now=now, zone=zone, option="since") if since else None
        with app.sessions() as session:
            rows = list_stories(
                session, since=cutoff, entity=entity, limit=limit, with_mentions=with_mentions
            )

    def render() -> None:
        if not rows:
            click.echo("no stories")
            return
        click.echo(
            f"{'story':<7} {'mentions':>8} {'sources':>7}  {'last seen':<22}  "
            f"{'incident':<8}  {'categories':<30}  title"
        )
        for r in rows:
            mix = ", ".join(f"{k} {v:.0%}" for k, v in list(r["categories"].items())[:3])
            incident = f"#{r['incident_id']}" if r["incident_id"] else "-"
            click.echo(
                f"#{r['id']:<6} {r['mention_count']:>8} {len(r['sources']):>7}  "
                f"{format_time(r['last_seen_at'], zone):<22}  {incident:<8}  "
                f"{one_line(mix, 30):<30}  "
                f"{one_line(r['title'], 70)}"
            )
            for m in r.get("mentions", ()):
                click.echo(f"        mention #{m['id']}  {m['source_id']}  {m['external_id']}")

    emit(rows, as_json=as_json, render=render)


def register(group: click.Group) -> None:
    """Add the ``stories`` command."""
    group.add_command(stories_cmd)
