"""The explicit registry of source kinds: each collector declares its options and collects.

A source in the configuration names its ``kind``; the kind's options sit beside the common
keys (``id``, ``enabled``, ``tier``, ``interval``) and are validated here, against the kind's
own pydantic model, with the file and line of every problem. A new collector is one module
(its options model and a ``SourceKind``) plus one entry in ``SOURCE_KINDS``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from pydantic import BaseModel, ValidationError

from config.loader import ConfigError, LoadedConfig
from config.schema import SourceSettings
from monitor.pipeline.collect import CollectRun
from monitor.pipeline.ingest import IngestStats
from monitor.pipeline.source_export import ExportKind
from monitor.pipeline.source_rss import FeedKind


class SourceKind(Protocol):
    """A collector kind: its options model, checks beyond the model, how to collect."""

    @property
    def options(self) -> type[BaseModel]: ...

    def problems(self, options: Any, *, resolve: Callable[[Path], Path]) -> list[tuple[str, str]]:
        """(option, problem) pairs the model cannot see (a file that does not exist)."""
        ...

    def location(self, options: Any, *, resolve: Callable[[Path], Path]) -> str:
        """Where the source reads from (URL or file), as shown in ``crisiswatch sources``."""
        ...

    def collect(self, *, source_id: str, options: Any, run: CollectRun) -> IngestStats:
        """Collect the source once; failures are recorded and returned, never raised."""
        ...


SOURCE_KINDS: Final[Mapping[str, SourceKind]] = {
    "rss": FeedKind(),
    "export": ExportKind(),
}


@dataclass(frozen=True)
class ConfiguredSource:
    """A configured source with its kind's validated options."""

    settings: SourceSettings
    kind: SourceKind
    options: Any

    @property
    def id(self) -> str:
        return self.settings.id

    def collect(self, run: CollectRun) -> IngestStats:
        return self.kind.collect(source_id=self.settings.id, options=self.options, run=run)

    def location(self, resolve: Callable[[Path], Path]) -> str:
        return self.kind.location(self.options, resolve=resolve)


def configured_sources(config: LoadedConfig) -> dict[str, ConfiguredSource]:
    """Every configured source, by id; ConfigError lists every problem with file and line."""
    out: dict[str, ConfiguredSource] = {}
    problems: list[str] = []
    for index, source in enumerate(config.settings.sources):
        where: list[str | int] = ["sources", index]
        kind = SOURCE_KINDS.get(source.kind)
        if kind is None:
            known = ", ".join(sorted(SOURCE_KINDS))
            problems.append(config.problem([*where, "kind"], f"unknown source kind "
                                           f"{source.kind!r} (expected one of: {known})"))
            continue
        try:
            options = kind.options.model_validate(source.options())
        except ValidationError as exc:
            problems.extend(_option_problems(config, where, exc))
            continue
        found = kind.problems(options, resolve=config.resolve)
        problems.extend(config.problem([*where, key], text) for key, text in found)
        if not found:
            out[source.id] = ConfiguredSource(settings=source, kind=kind, options=options)
    if problems:
        raise ConfigError(config.path, problems)
    return out


def _option_problems(
    config: LoadedConfig, where: list[str | int], exc: ValidationError
) -> list[str]:
    out = []
    for err in exc.errors(include_url=False):
        loc = [*where, *err["loc"]]
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown option (check the spelling; see the configuration reference)"
        elif err["type"] == "missing":
            message = "required key is missing"
        out.append(config.problem(loc, message))
    return out
