"""A click group that imports a command's module only when that command is needed.

The command modules import the libraries they drive (models, numpy, scipy, the database,
alembic); importing them all up front made ``crisiswatch --help`` cost over a CPU-second.
``LazyGroup`` knows each command by name, the modules whose ``register(group)`` adds it and
the one-line help the group's listing shows; a module is imported, and registered, the first
time one of its commands is run, completed or has its help shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import click


@dataclass(frozen=True)
class LazyCommand:
    """Where a command comes from, and what ``--help`` lists for it without importing it."""

    modules: tuple[str, ...]
    help: str


class LazyGroup(click.Group):
    """A group whose commands (beyond those added directly) are imported on first use."""

    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)
        self._loaded: set[str] = set()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self.lazy.get(cmd_name)
        # every module of the entry, even when the command exists already: ``incident`` is
        # registered by the module of ``ack`` too, and its subcommands come from the others
        if entry is not None:
            for module in entry.modules:
                self._load(module)
        return super().get_command(ctx, cmd_name)

    def _load(self, module: str) -> None:
        if module not in self._loaded:
            import_module(module).register(self)
            self._loaded.add(module)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The listing of ``--help``: loaded commands as they are, the rest from their entry
        (a stand-in command carrying the entry's help, so click shortens it the same way)."""
        listed = [
            (name, self.commands.get(name) or click.Command(name, help=self.lazy[name].help))
            for name in self.list_commands(ctx)
        ]
        shown = [(name, cmd) for name, cmd in listed if not cmd.hidden]
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in shown)
        with formatter.section("Commands"):
            formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in shown])
