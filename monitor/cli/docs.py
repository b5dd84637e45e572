"""``crisiswatch config-reference``: the configuration reference, generated from the schema."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.common import UserError


@click.command("config-reference")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Write the Markdown to FILE (folders are created) instead of printing it.",
)
def config_reference(out: Path | None) -> None:
    """Print the configuration reference (every key, type, default and channel option)."""
    from monitor.reference.configuration import render_reference

    text = render_reference()
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        # newline="\n": the committed file is compared byte for byte on every platform
        with out.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise UserError(f"error: cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"wrote {out}")


def register(group: click.Group) -> None:
    """Add ``config-reference`` to the command group."""
    group.add_command(config_reference)
