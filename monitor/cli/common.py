"""Shared pieces of the command line: error translation, the context object, output helpers.

Every command module imports this one, so it imports click and nothing heavy: the
libraries are imported where they are used (see ``monitor.cli.lazy``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from config.loader import LoadedConfig
    from monitor.app import App

F = TypeVar("F", bound=Callable[..., Any])


class UserError(click.ClickException):
    """One clear line (or one per problem) and exit status 1; never a traceback."""

    def format_message(self) -> str:
        return self.message

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True, file=file)


def friendly(func: F) -> F:
    """Turn the library's specific exceptions into clean CLI errors."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise  # already one clean line (UserError): no library to import for it
        except Exception as exc:
            message = _user_message(exc)
            if message is None:
                raise
            raise UserError(message) from None

    return wrapper  # type: ignore[return-value]


def _user_message(exc: Exception) -> str | None:
    """The clean message for the library's own errors; None for anything else (a bug).

    The error classes are imported only once an exception is raised, so that importing a
    command module stays cheap."""
    from classifiers.features import ModelFormatError
    from config.loader import ConfigError
    from monitor.collectors.base import CollectorError
    from monitor.db.engine import StorageError
    from monitor.watchlist.query import QuerySyntaxError

    if isinstance(exc, ConfigError):
        return "\n".join(f"config error: {p}" for p in exc.problems)
    if isinstance(exc, StorageError | CollectorError | QuerySyntaxError | ModelFormatError):
        return f"error: {exc}"
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


def parse_since(value: str | None, now: datetime) -> datetime | None:
    """``--since`` as a duration back from now (``24h``, ``7d``) or an ISO date/time."""
    from config.durations import parse_duration

    if value is None:
        return None
    try:
        return now - parse_duration(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UserError(
            f"error: --since: expected a duration like 24h or a date like 2026-11-01, got {value!r}"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
