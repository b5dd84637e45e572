"""``crisiswatch check-config``: validate a configuration and report every problem with its
file and line; environment variables not set here are warnings unless ``--strict``."""

from __future__ import annotations

import os

import click

from monitor.cli.common import Context, UserError, pass_ctx


def register(group: click.Group) -> None:
    """Add ``check-config`` to the command group."""
    group.add_command(check_config)


@click.command("check-config")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--strict",
    is_flag=True,
    help="Treat warnings (an environment variable not set here) as errors.",
)
@pass_ctx
def check_config(obj: Context, path: str | None, strict: bool) -> None:
    """Validate a configuration file and report every problem with its line."""
    from config.loader import load_config
    from monitor.config_check import check_configuration, check_playbook_targets

    loaded = load_config(path or obj.config_path)
    findings = check_configuration(loaded, environ=os.environ)
    warnings = [f for f in findings if f.warning and not strict]
    errors = [loaded.describe(f) for f in findings if f not in warnings]
    errors += check_playbook_targets(loaded)
    for finding in warnings:
        click.echo(f"config warning: {loaded.describe(finding)}", err=True)
    if errors:
        raise UserError("\n".join(f"config error: {line}" for line in errors))
    s = loaded.settings
    plural = "" if len(warnings) == 1 else "s"
    verdict = f"OK with {len(warnings)} warning{plural}" if warnings else "OK"
    inbox = f", inbox {s.inbox.path}" if s.inbox else ""
    click.echo(
        f"{loaded.path}: {verdict} ({len(s.entities)} entities, {len(s.sources)} sources{inbox})"
    )
