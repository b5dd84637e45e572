"""Source kind ``export``: an exported comment/post file (CSV, JSON, JSONL, XLSX), read once
per content (a changed file is read again; an interrupted read resumes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field

from config.suggest import one_of
from monitor.collectors.base import CollectorError
from monitor.collectors.exports import mapping_from_dict
from monitor.collectors.presets import AUTO, PRESETS

if TYPE_CHECKING:  # collecting (httpx, feedparser, the database) is imported to collect
    from monitor.pipeline.collect import CollectRun
    from monitor.pipeline.ingest import IngestStats


class ExportOptions(BaseModel):
    """The options of an ``export`` source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path = Field(description="File path, relative to the configuration file.")
    format: Literal["csv", "json", "jsonl", "xlsx"] | None = Field(
        None, description="File format; default from the extension."
    )
    preset: str = Field(
        "generic", description="Column mapping preset (generic, weibo, ...; auto: from the header)."
    )
    mapping: dict[str, Any] = Field(
        default_factory=dict, description="Column mapping overrides: field -> column name."
    )
    encoding: str | None = Field(None, description="Text encoding; detected when omitted.")
    delimiter: str | None = Field(None, description="CSV delimiter; sniffed when omitted.")
    tz: str | None = Field(None, description="Time zone of naive timestamps (default UTC).")


def preset_problem(preset: str) -> str | None:
    """Why ``preset`` names no column mapping preset (None when it does)."""
    if preset in PRESETS or preset == AUTO:
        return None
    return f"unknown preset {preset!r}{one_of(preset, [*PRESETS, AUTO])}"


class ExportKind:
    """An exported comment/post file (CSV, JSON, JSONL, XLSX), read again only when its
    content changes; an interrupted read resumes where it stopped."""

    options = ExportOptions

    def problems(self, options: Any, *, resolve: Callable[[Path], Path]) -> list[tuple[str, str]]:
        found = []
        path = resolve(options.path)
        if not path.exists():
            found.append(("path", f"file not found: {path}"))
        preset = preset_problem(options.preset)
        if preset:
            found.append(("preset", preset))
        try:
            mapping_from_dict(options.mapping)
        except CollectorError as exc:
            found.append(("mapping", str(exc)))
        if options.tz is not None:
            try:
                ZoneInfo(options.tz)
            except (ZoneInfoNotFoundError, ValueError):
                found.append(("tz", f"unknown time zone {options.tz!r}"))
        return found

    def warnings(self, options: Any, *, resolve: Callable[[Path], Path]) -> list[tuple[str, str]]:
        return []

    def location(self, options: Any, *, resolve: Callable[[Path], Path]) -> str:
        return str(resolve(options.path))

    def collect(self, *, source_id: str, options: Any, run: CollectRun) -> IngestStats:
        from monitor.pipeline.collect import FileSpec, ingest_file

        spec = FileSpec(
            path=run.resolve(options.path),
            fmt=options.format,
            preset=options.preset,
            mapping=options.mapping,
            encoding=options.encoding,
            delimiter=options.delimiter,
            tz=options.tz,
        )
        return ingest_file(
            run.pipeline, source_id=source_id, spec=spec, force=run.force,
            on_progress=run.on_progress,
        )
