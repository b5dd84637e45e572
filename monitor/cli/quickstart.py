"""``crisiswatch quickstart``: the example organisation end to end, offline, in under a minute."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli.common import UserError

if TYPE_CHECKING:
    from config.loader import LoadedConfig
    from monitor.app import App
    from monitor.quickstart import Workspace
    from monitor.service.runner import OnceResult


def register(group: click.Group) -> None:
    """Add ``quickstart`` to the command group."""
    group.add_command(quickstart)


@click.command("quickstart")
@click.option(
    "--dir",
    "folder",
    default="crisiswatch-quickstart",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Workspace folder (recreated on every run; only a folder made by quickstart).",
)
@click.option("-v", "--verbose", is_flag=True, help="Also show the service's log lines.")
@click.option("--serve", is_flag=True,
              help="Then keep the web console running on the workspace (Ctrl-C stops it).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port of the console with --serve (default: web.port, 8765; 0: any free).")
def quickstart(folder: Path, verbose: bool, serve: bool, port: int | None) -> None:
    """Run the example organisation's whole story offline: collect, score, open incidents,
    alert on the console with the approved scripts, and write the weekly digest.

    The bundled sample feeds are served on 127.0.0.1 with their times moved to the last few
    hours and the sample exports are dropped into the inbox; then every service job runs once
    (as `crisiswatch run --once`) and the digest for this week is written. Last, the web
    console's `admin` user is made, with a random password printed once.
    """
    from config.loader import load_config
    from monitor.app import build_app
    from monitor.digest.period import iso_week, iso_week_label
    from monitor.digest.run import build_and_write_digest
    from monitor.quickstart import WorkspaceError, prepare_workspace, serve_feeds
    from monitor.service.runner import run_once

    if port is not None and not serve:
        raise UserError("error: --port goes with --serve")
    started = time.monotonic()
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    now = datetime.now(UTC)
    try:
        ws = prepare_workspace(folder, now=now)
    except WorkspaceError as exc:
        raise UserError(f"error: {exc}") from None
    click.secho(
        "crisiswatch quickstart: Lumina Dairy (澜沐乳业), an invented dairy company", bold=True
    )
    click.echo(f"workspace: {ws.root}\n")
    with serve_feeds(ws.feeds) as url_for:
        loaded = _served(load_config(ws.config), url_for)
        click.echo(
            "1. Collecting: 2 feeds served on "
            f"{url_for('').rstrip('/')}, 2 export files dropped into inbox/"
        )
        click.echo(
            "   then scoring, grouping into incidents and escalating "
            "(alerts follow on the console channel)\n"
        )
        app = build_app(loaded, database=None)
        try:
            results = run_once(app)
            _print_collection(results)
            digest = build_and_write_digest(
                app=app,
                now=now,
                period=iso_week(
                    week=iso_week_label(now.date()), tz=app.settings.organisation.timezone
                ),
            )
            _print_incidents(app, ws)
            _print_oncall(app)
            password = _console_admin(app, now)
        finally:
            app.close()
    click.echo(f"\n3. Weekly digest ({digest.period.label}) written:")
    for path in digest.files.values():
        click.echo(f"   {path}")
    _print_console(ws, loaded, password)
    click.echo(f"\nDone in {time.monotonic() - started:.1f} s.")
    _print_next(ws, digest.files.get("html"))
    if any(not r.ok for r in results):
        raise SystemExit(1)
    if serve:
        _serve(ws, port)


def _served(loaded: LoadedConfig, url_for: Callable[[str], str]) -> LoadedConfig:
    """The workspace configuration with its feeds fetched over HTTP and the inbox unsettled."""
    from config.loader import LoadedConfig

    settings = loaded.settings
    sources = [
        s.model_copy(update={"url": url_for(Path(s.options()["url"]).name)})
        if s.kind == "rss"
        else s
        for s in settings.sources
    ]
    # the sample files were moved into the inbox whole, so there is nothing to wait for; and a
    # burst beyond alerting.max_individual is grouped at once rather than after group_wait
    inbox = settings.inbox.model_copy(update={"settle": timedelta(0)}) if settings.inbox else None
    alerting = settings.alerting.model_copy(update={"group_wait": timedelta(0)})
    return LoadedConfig(
        settings.model_copy(update={"sources": sources, "inbox": inbox, "alerting": alerting}),
        loaded.path,
    )


def _print_collection(results: list[OnceResult]) -> None:
    from monitor.pipeline.ingest import IngestStats

    click.echo("\n2. Collected:")
    for r in results:
        if not r.ok:
            click.echo(f"   {r.key}: FAILED: {r.error}")
        elif isinstance(r.result, IngestStats):
            s = r.result
            click.echo(
                f"   {r.key}: {s.new} new mentions ({s.unmatched} matched no entity, "
                f"{s.rejected} rejected)"
            )


def _print_incidents(app: App, ws: Workspace) -> None:
    from sqlalchemy import func, select

    from monitor.db.models import Alert
    from monitor.incidents.views import list_incidents

    with app.sessions() as session:
        incidents = list_incidents(session, limit=50)
        sent = Counter(session.scalars(select(Alert.channel).where(Alert.status == "sent")))
        folded = (
            session.scalar(
                select(func.count(func.distinct(Alert.incident_id))).where(Alert.status == "folded")
            )
            or 0
        )
        rows = [(i.id, i.grade, i.state, i.title, i.mention_count) for i in incidents]
    by_channel = ", ".join(f"{n} to {name}" for name, n in sorted(sent.items()))
    click.echo(f"\n   {len(rows)} incidents opened; alerts sent: {by_channel or 'none'}")
    if folded:
        click.echo(
            f"   ({folded} of them came in a burst and were grouped into one alert per "
            "channel, see alerting.max_individual)"
        )
    for ident, grade, state, title, count in sorted(rows, key=_by_grade):
        click.echo(f"   #{ident:<3} {grade:<8} {state:<6} {title[:70]} ({count} mentions)")
    stand_ins = sorted(ws.data.glob("alerts/*.jsonl"))
    if stand_ins:
        click.echo(
            "   (file channels standing in for Slack and email: "
            + ", ".join(p.name for p in stand_ins)
            + f" in {ws.data / 'alerts'})"
        )


def _print_oncall(app: App) -> None:
    from monitor.oncall.views import oncall_line, oncall_views

    with app.sessions() as session:
        views = oncall_views(
            session=session, roster=app.roster, settings=app.settings, at=app.pipeline.clock()
        )
    if views:
        click.echo("\n   On call now (schedules in the configuration; `crisiswatch oncall`):")
    for view in views:
        click.echo(f"   {oncall_line(view, app.settings.organisation.timezone)}")


def _console_admin(app: App, now: datetime) -> str | None:
    from monitor.quickstart import console_admin

    with app.sessions.begin() as session:
        return console_admin(session, now=now)


def _print_console(ws: Workspace, loaded: LoadedConfig, password: str | None) -> None:
    from monitor.quickstart import ADMIN

    click.echo("\n4. Web console (the incident queue, live; mentions, stories, on call):")
    click.echo(f"   crisiswatch -c {_shown(ws.config)} web")
    click.echo(f"   then open {loaded.settings.web.base_url()} and log in as {ADMIN}")
    if password:
        click.echo(f"   with the password {password} (shown only now: change it on the account "
                   "page)")


def _serve(ws: Workspace, port: int | None) -> None:
    from config.loader import load_config
    from monitor.app import open_app
    from monitor.cli.web import serve_console

    with open_app(load_config(ws.config)) as app:
        web = app.settings.web
        click.echo("")
        serve_console(app, host=web.host, port=port if port is not None else web.port or 8765)


def _by_grade(row: tuple[int, str, str, str, int]) -> tuple[int, int]:
    order = ("critical", "high", "medium", "low", "none")
    return (order.index(row[1]) if row[1] in order else len(order), row[0])


def _print_next(ws: Workspace, html: Path | None) -> None:
    cw = f"crisiswatch -c {_shown(ws.config)}"
    click.secho("\nWhat to try next:", bold=True)
    lines = [
        ("see the incidents, then one in full", f"{cw} incidents\n      {cw} incident show 1"),
        ("acknowledge it (stops its escalation)", f"{cw} ack 1 --by li.na"),
        ("see who is on call, and who is next", f"{cw} oncall"),
        ("open the web console (Ctrl-C stops it)", f"{cw} web"),
        ("open the digest", str(html) if html else f"{cw} digest"),
        ("rehearse a crisis", f"{cw} drill product-safety-zh --speed 60"),
        (
            "start your own configuration (then set a source's url: to an https:// feed)",
            "crisiswatch init\n      crisiswatch check-config && crisiswatch run",
        ),
        ("connect Slack", "see README.md, 'Alerts' (bot token, channel, Socket Mode buttons)"),
    ]
    for what, how in lines:
        click.echo(f"  - {what}:\n      {how}")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
