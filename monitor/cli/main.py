"""The ``crisiswatch`` command line: a thin layer over monitor's library functions."""

from __future__ import annotations

import click

from config.loader import ConfigError, load_config
from monitor.alerting.channels import check_channels
from monitor.app import build_watchlist
from monitor.cli import (
    alerts,
    classify,
    corrections,
    db,
    digest,
    docs,
    drill,
    incidents,
    ingest,
    playbooks,
    quickstart,
    run,
    stories,
)
from monitor.cli.common import CliGroup, Context, UserError, pass_ctx
from monitor.pipeline.sources import configured_sources
from monitor.watchlist.query import QuerySyntaxError


@click.group(cls=CliGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c",
    "--config",
    "config_path",
    envvar="CRISISWATCH_CONFIG",
    metavar="FILE",
    help="Configuration file (default: ./crisiswatch.yaml, else the bundled example).",
)
@click.option(
    "--database",
    envvar="CRISISWATCH_DATABASE_URL",
    metavar="URL",
    help="Database URL overriding the configuration (e.g. postgresql+psycopg://...).",
)
@click.version_option(package_name="crisiswatch")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, database: str | None) -> None:
    """crisiswatch: crisis and sentiment monitoring."""
    ctx.obj = Context(config_path, database)


@cli.command("check-config")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@pass_ctx
def check_config(obj: Context, path: str | None) -> None:
    """Validate a configuration file and report every problem."""
    loaded = load_config(path or obj.config_path)
    problems: list[str] = []
    try:
        build_watchlist(loaded.settings)
    except QuerySyntaxError as exc:
        problems.append(f"{loaded.path}: {exc}")
    try:
        configured_sources(loaded)
    except ConfigError as exc:
        problems += exc.problems
    problems += [f"{loaded.path}: {p}" for p in check_channels(loaded.settings)]
    if problems:
        raise UserError("\n".join(f"config error: {p}" for p in problems))
    s = loaded.settings
    inbox = f", inbox {s.inbox.path}" if s.inbox else ""
    click.echo(f"{loaded.path}: OK ({len(s.entities)} entities, {len(s.sources)} sources{inbox})")


ingest.register(cli)
db.register(cli)
alerts.register(cli)
classify.register(cli)
digest.register(cli)
incidents.register(cli)
corrections.register(cli)
stories.register(cli)
playbooks.register(cli)
run.register(cli)
quickstart.register(cli)
drill.register(cli)
docs.register(cli)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="crisiswatch")
