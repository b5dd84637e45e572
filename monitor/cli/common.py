"""Shared pieces of the command line: error translation, the context object, output helpers.

Exit statuses: 0 done; 1 a mistake in the request or configuration, or a step that failed
(a feed, a file, a dead-lettered alert); 2 a usage error (click's) or storage that cannot be
used (database unreachable, data folder that cannot be created). Every error is one line per
problem, never a traceback: ``CliGroup`` translates the library's errors for every command.

Start-up (one rule for every command module, this one included): at module level a command
module imports the standard library, click, ``monitor.cli``'s modules and the few constants
its options offer (from modules that import nothing heavy); everything else (the app, the
database, the incidents engine, httpx, the configuration schema, the models) is imported in
the function that uses it, and under ``TYPE_CHECKING`` for annotations. So ``<command>
--help`` loads no library (tests/monitor/cli/test_cli_startup.py; ``monitor.cli.lazy``
imports a command's module only when that command is needed).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from config.loader import LoadedConfig
    from monitor.app import App


class UserError(click.ClickException):
    """One clear line (or one per problem) and exit status 1; never a traceback."""

    def format_message(self) -> str:
        return self.message

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True, file=file)


class StorageUnusable(UserError):
    """The database or the data folder cannot be used: one line and exit status 2."""

    exit_code = 2


class CliGroup(click.Group):
    """The root command group: the library's errors become clean CLI errors for every command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own ending (a clean error, --help, Ctrl-C): no library to import
        except Exception as exc:
            error = _user_error(exc)
            if error is None:
                raise
            raise error from None


def _user_error(exc: Exception) -> UserError | None:
    """The clean error for the library's own exceptions; None for anything else (a bug).

    The error classes are imported only once an exception is raised, so that importing a
    command module stays cheap."""
    from classifiers.features import ModelFormatError
    from config.loader import ConfigError
    from monitor.collectors.base import CollectorError
    from monitor.db.engine import UNAVAILABLE, StorageError, unavailable_reason
    from monitor.watchlist.query import QuerySyntaxError

    if isinstance(exc, ConfigError):
        return UserError("\n".join(f"config error: {p}" for p in exc.problems))
    if isinstance(exc, StorageError):
        return StorageUnusable(f"error: {exc}")
    if isinstance(exc, UNAVAILABLE):
        return StorageUnusable(f"error: database: {unavailable_reason(exc)}")
    if isinstance(exc, CollectorError | QuerySyntaxError | ModelFormatError):
        return UserError(f"error: {exc}")
    return None


class Context:
    """Global options, resolved lazily so `--help` never touches config or storage."""

    def __init__(self, config_path: str | None, database: str | None) -> None:
        self.config_path = config_path
        self.database = database

    def config(self) -> LoadedConfig:
        from config.loader import load_config

        return load_config(self.config_path)

    @contextmanager
    def app(self) -> Iterator[App]:
        from monitor.app import open_app

        with open_app(self.config(), database=self.database) as app:
            yield app


pass_ctx = click.make_pass_decorator(Context)


def emit(data: Any, *, as_json: bool, render: Callable[[], None]) -> None:
    """Print JSON for scripts, or the human rendering."""
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        render()


def plural(count: int, noun: str) -> str:
    """``1 alert``, ``2 alerts``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def display_width(text: str) -> int:
    """Terminal columns: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, right: Collection[int] = ()
) -> list[str]:
    """Lines of a table with a header row, each column as wide as its widest cell; columns
    whose index is in ``right`` are right-aligned (numbers)."""
    widths = [max(map(display_width, column)) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = []
        for i, cell in enumerate(cells):
            gap = " " * (widths[i] - display_width(cell))
            padded.append(gap + cell if i in right else cell + gap)
        return "  ".join(padded).rstrip()

    return [line(header), *(line(row) for row in rows)]


def parse_when(
    value: str, *, now: datetime, zone: str, option: str, ahead: bool = False
) -> datetime:
    """``--since``/``--until``: a duration back from now (ahead of it with ``ahead``: ``24h``,
    ``7d``) or a date/time, read as the commands print it: in the organisation's ``zone``
    unless it says its own (``+08:00``, or ``UTC+8`` as printed)."""
    from monitor.when import read_when

    try:
        return read_when(value, now=now, zone=zone, option=option, ahead=ahead)
    except ValueError as exc:
        raise UserError(f"error: {exc}") from None
