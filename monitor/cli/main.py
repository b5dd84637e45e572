"""The ``crisiswatch`` command line: a thin layer over monitor's library functions."""

from __future__ import annotations

import click

from monitor.cli import (
    alerts,
    check_config,
    classify,
    corrections,
    db,
    digest,
    docs,
    drill,
    incidents,
    ingest,
    init,
    playbooks,
    quickstart,
    run,
    stories,
)
from monitor.cli.common import CliGroup, Context


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


check_config.register(cli)
init.register(cli)
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
