"""Source kind ``rss``: an RSS or Atom feed over HTTP(S), or a local feed file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # collecting (httpx, feedparser, the database) is imported to collect
    from monitor.pipeline.collect import CollectRun
    from monitor.pipeline.ingest import IngestStats


class FeedOptions(BaseModel):
    """The options of an ``rss`` source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="http(s):// URL, or a file path for a local feed.")


class FeedKind:
    """An RSS or Atom feed, fetched over HTTP(S) with a conditional GET (ETag, Last-Modified)
    or read from a local file; a broken feed is marked on the source, never fatal."""

    options = FeedOptions

    @staticmethod
    def _target(options: FeedOptions, resolve: Callable[[Path], Path]) -> str:
        url = options.url
        if url.startswith(("http://", "https://")):
            return url
        return str(resolve(Path(url.removeprefix("file://"))))

    def problems(self, options: Any, *, resolve: Callable[[Path], Path]) -> list[tuple[str, str]]:
        return []

    def warnings(self, options: Any, *, resolve: Callable[[Path], Path]) -> list[tuple[str, str]]:
        # only a plain path or a file:// URL names a local feed file
        if urlsplit(options.url).scheme not in ("", "file"):
            return []
        target = self._target(options, resolve)
        if Path(target).is_file():
            return []
        return [("url", f"file not found: {target} (each poll fails until it exists)")]

    def location(self, options: Any, *, resolve: Callable[[Path], Path]) -> str:
        return self._target(options, resolve)

    def collect(self, *, source_id: str, options: Any, run: CollectRun) -> IngestStats:
        from monitor.pipeline.collect import poll_feed

        return poll_feed(
            run.pipeline,
            source_id=source_id,
            url=self._target(options, run.resolve),
            client=run.http,
            max_bytes=run.max_bytes,
        )
