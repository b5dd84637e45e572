"""The explicit registry of source kinds: each collector declares its options and collects.

A source in the configuration names its ``kind``; the kind's options sit beside the common
keys (``id``, ``enabled``, ``tier``, ``interval``) and are validated here, against the kind's
own pydantic model, with the file and line of every problem. The inbox's preset is checked
with them, as the inbox is collected the same way. A new collector is one module
(its options model and a ``SourceKind``) plus one entry in ``SOURCE_KINDS``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from pydantic import BaseModel, ValidationError

from config.loader import ConfigError, Finding, LoadedConfig
from config.schema import SourceSettings
from config.suggest import did_you_mean, one_of
from monitor.pipeline.source_export import ExportKind, preset_problem
from monitor.pipeline.source_rss import FeedKind

if TYPE_CHECKING:  # collecting (httpx, feedparser, the database) is imported to collect
    from monitor.pipeline.collect import CollectRun
    from monitor.pipeline.ingest import IngestStats


class SourceKind(Protocol):
    """A collector kind: its options model, checks beyond the model, how to collect."""

    @property
    def options(self) -> type[BaseModel]: ...

    def problems(self, options: Any, *, resolve: Callable[[Path], Path]) -> list[tuple[str, str]]:
        """(option, problem) pairs the model cannot see (a file that does not exist)."""
        ...

    def warnings(self, options: Any, *, resolve: Callable[[Path], Path]) -> list[tuple[str, str]]:
        """(option, problem) pairs the service tolerates (the source fails each poll, and the
        failure is recorded on it): check-config shows them as warnings."""
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
    sources, findings = _configure(config)
    errors = [config.describe(f) for f in findings if not f.warning]
    if errors:
        raise ConfigError(config.path, errors)
    return sources


def check_sources(config: LoadedConfig) -> list[Finding]:
    """What is wrong with the configured sources and the inbox, at each problem's key path
    (warnings too: what the service tolerates, such as a local feed file not there yet)."""
    return _configure(config)[1]


def _configure(config: LoadedConfig) -> tuple[dict[str, ConfiguredSource], list[Finding]]:
    out: dict[str, ConfiguredSource] = {}
    findings: list[Finding] = []
    for index, source in enumerate(config.settings.sources):
        where: tuple[str | int, ...] = ("sources", index)
        kind = SOURCE_KINDS.get(source.kind)
        if kind is None:
            findings.append(Finding((*where, "kind"), f"unknown source kind {source.kind!r}"
                                                      f"{one_of(source.kind, SOURCE_KINDS)}"))
            continue
        try:
            options = kind.options.model_validate(source.options())
        except ValidationError as exc:
            findings.extend(_option_problems(where, exc, kind.options))
            continue
        found = [Finding((*where, key), text)
                 for key, text in kind.problems(options, resolve=config.resolve)]
        findings.extend(found)
        if not found:
            out[source.id] = ConfiguredSource(settings=source, kind=kind, options=options)
        findings.extend(Finding((*where, key), text, warning=True)
                        for key, text in kind.warnings(options, resolve=config.resolve))
    inbox = config.settings.inbox
    problem = preset_problem(inbox.preset) if inbox is not None else None
    if problem:
        findings.append(Finding(("inbox", "preset"), problem))
    return out, findings


def _option_problems(
    where: tuple[str | int, ...], exc: ValidationError, model: type[BaseModel]
) -> list[Finding]:
    out = []
    for err in exc.errors(include_url=False):
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            known = [*model.model_fields, *SourceSettings.model_fields]
            message = "unknown option" + (
                did_you_mean(err["loc"][-1], known)
                or " (check the spelling; see the configuration reference)"
            )
        elif err["type"] == "missing":
            message = "required key is missing"
        out.append(Finding((*where, *err["loc"]), message))
    return out
