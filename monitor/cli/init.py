"""``crisiswatch init [DIR]``: a working configuration to start from, with its sample files."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.common import UserError


def register(group: click.Group) -> None:
    """Add ``init`` to the command group."""
    group.add_command(init)


@click.command("init")
@click.argument("folder", default=".", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init(folder: Path, force: bool) -> None:
    """Write a working configuration (the example organisation) and the sample files it reads
    into FOLDER (default: the current one), to edit from there. Existing files are never
    overwritten without --force."""
    from monitor.starter import CONFIG_NAME, StarterError, write_starter

    try:
        files = write_starter(folder, force=force)
    except StarterError as exc:
        raise UserError(f"error: {exc}") from None
    config = folder / CONFIG_NAME
    click.echo(f"wrote {config} and {len(files) - 1} sample files under {folder / 'samples'}")
    click.echo(f"next: edit it, then check it with: crisiswatch check-config {config}")
