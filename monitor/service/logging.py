"""Service logs: human-readable by default, JSON lines on request; ids attached, secrets never.

Lines that concern a source or an incident carry its id: set it for a block of work with
``log_context(source_id=...)`` (every line logged inside, by any module, gets it) or per call
with ``extra={"incident_id": ...}``. Every line passes through a redactor that hides the values
of the environment variables the configuration names (``*_env`` options), Slack tokens and
passwords in URLs, whatever module logged it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TextIO

from config.schema import Settings

CONTEXT_FIELDS = ("source_id", "incident_id", "job", "work_key")
MASK = "***"
MIN_SECRET_CHARS = 4
EXTRA_SECRET_ENV = ("CRISISWATCH_DATABASE_URL",)
_EMPTY: Mapping[str, object] = MappingProxyType({})
_CONTEXT: ContextVar[Mapping[str, object]] = ContextVar("crisiswatch_log_context", default=_EMPTY)
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s/]+(?=@)")
_TOKENS = re.compile(r"\b(?:xox[abposre]|xapp)-[A-Za-z0-9-]{6,}")
_QUIET = ("alembic", "apscheduler", "httpx", "httpcore", "slack_sdk", "urllib3")


@contextmanager
def log_context(**ids: object) -> Iterator[None]:
    """Attach ids (``source_id=``, ``incident_id=``...) to every line logged inside the block."""
    token = _CONTEXT.set({**_CONTEXT.get(), **{k: v for k, v in ids.items() if v is not None}})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def bind(logger: logging.Logger, **ids: object) -> logging.LoggerAdapter[logging.Logger]:
    """A logger whose every line carries ``ids``."""
    return logging.LoggerAdapter(logger, ids)


class ContextFilter(logging.Filter):
    """Copies the ids of the current ``log_context`` onto each record (explicit extras win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _CONTEXT.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class Redactor:
    """Replaces secret values, Slack tokens and URL passwords in text with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = sorted({s for s in secrets if len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)
        self._secrets = re.compile("|".join(re.escape(s) for s in values)) if values else None

    def __call__(self, text: str) -> str:
        if self._secrets is not None:
            text = self._secrets.sub(MASK, text)
        text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
        return _TOKENS.sub(MASK, text)


def secrets_from_settings(
    settings: Settings, *, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Values of every environment variable named by a ``*_env`` option (and the database URL)."""
    env = os.environ if environ is None else environ
    names = set(EXTRA_SECRET_ENV)
    names.update(_env_names(settings.model_dump(mode="python")))
    return [env[name] for name in sorted(names) if env.get(name)]


def _env_names(data: Any) -> Iterator[str]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(key, str) and key.endswith("_env") and isinstance(value, str):
                yield value
            else:
                yield from _env_names(value)
    elif isinstance(data, list | tuple):
        for value in data:
            yield from _env_names(value)


def _ids(record: logging.LogRecord) -> dict[str, object]:
    return {k: getattr(record, k) for k in CONTEXT_FIELDS if getattr(record, k, None) is not None}


class HumanFormatter(logging.Formatter):
    """``2026-11-22 10:00:00 INFO  monitor.x [source=news-en] message``, redacted."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s%(ids)s %(message)s")
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        ids = _ids(record)
        short = {"source_id": "source", "incident_id": "incident", "work_key": "work"}
        record.ids = (
            " [" + " ".join(f"{short.get(k, k)}={v}" for k, v in ids.items()) + "]" if ids else ""
        )
        return self.redactor(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, ids, exception; redacted."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redactor(record.getMessage()),
        }
        for key, value in _ids(record).items():
            data[key] = self.redactor(str(value)) if isinstance(value, str) else value
        if record.exc_info:
            data["exception"] = self.redactor(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False, default=str)


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installed, so configuring twice replaces it."""


def configure_logging(
    *,
    json_lines: bool = False,
    level: int | str = logging.INFO,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """Install the service's log handler on the root logger (replacing an earlier one)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    handler = _Handler(stream if stream is not None else sys.stderr)
    redactor = Redactor(secrets)
    handler.setFormatter(JsonFormatter(redactor) if json_lines else HumanFormatter(redactor))
    handler.addFilter(ContextFilter())
    root.addHandler(handler)
    root.setLevel(level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
