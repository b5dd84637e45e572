"""Local channels for offline runs: ``console`` (readable text) and ``file`` (JSON lines)."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, TextIO

from alerts.channel import ChannelBase, Clock, Options
from alerts.errors import DeliveryError
from alerts.message import AlertMessage, DeliveryResult, ThreadRef
from alerts.payload import build_payload, encode_payload
from alerts.render_text import render_text

_RULE = "-" * 72


class ConsoleChannel(ChannelBase):
    """Writes a plain-text block per alert to a stream (stdout by default)."""

    kind: ClassVar[str] = "console"
    optional_options: ClassVar[tuple[str, ...]] = ("stream",)

    supports_threads = False
    max_text = 1_000_000

    def __init__(self, *, name: str, stream: TextIO | str = "stdout") -> None:
        self.name = name
        self._stream = stream
        self._lock = threading.Lock()

    @classmethod
    def from_options(
        cls, *, name: str, options: Mapping[str, Any], environ: Mapping[str, str], clock: Clock
    ) -> ConsoleChannel:
        """Build from optional ``stream``: stdout (default) or stderr."""
        opts = Options(name=name, kind=cls.kind, values=options, environ=environ)
        return cls(name=name, stream=opts.choice("stream", ("stdout", "stderr"), "stdout"))

    def _target(self) -> TextIO:
        # Looked up at send time so redirections made after construction are honoured.
        if self._stream == "stdout":
            return sys.stdout
        if self._stream == "stderr":
            return sys.stderr
        assert not isinstance(self._stream, str)
        return self._stream

    def send(self, *, message: AlertMessage, thread: ThreadRef | None) -> DeliveryResult:
        """Write the block; a closed or broken stream raises a non-retryable DeliveryError."""
        block = f"{_RULE}\n{render_text(message)}"
        try:
            with self._lock:
                target = self._target()
                target.write(block)
                target.flush()
        except (OSError, ValueError) as exc:
            reason = f"cannot write ({type(exc).__name__})"
            raise DeliveryError(reason, kind=self.kind, target=self.name, retryable=False) from None
        return DeliveryResult(self.name)


class FileChannel(ChannelBase):
    """Appends one JSON line (webhook payload version 1) per alert to ``path``."""

    kind: ClassVar[str] = "file"
    required_options: ClassVar[tuple[str, ...]] = ("path",)
    optional_options: ClassVar[tuple[str, ...]] = ("fsync",)

    supports_threads = False
    max_text = 1_000_000

    def __init__(self, *, name: str, path: Path, clock: Clock, fsync: bool = False) -> None:
        self.name = name
        self.path = path
        self._clock = clock
        self._fsync = fsync
        self._lock = threading.Lock()

    @classmethod
    def from_options(
        cls, *, name: str, options: Mapping[str, Any], environ: Mapping[str, str], clock: Clock
    ) -> FileChannel:
        """Build from ``path`` and optional ``fsync`` (flush to disk after every line)."""
        opts = Options(name=name, kind=cls.kind, values=options, environ=environ)
        return cls(
            name=name, path=Path(opts.text("path")), clock=clock, fsync=opts.flag("fsync", False)
        )

    def send(self, *, message: AlertMessage, thread: ThreadRef | None) -> DeliveryResult:
        """Append the line (one write, so concurrent appenders never interleave within it)."""
        sent_at = datetime.fromtimestamp(self._clock(), UTC)
        line = encode_payload(build_payload(message, sent_at=sent_at)) + b"\n"
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
                try:
                    view = memoryview(line)
                    while view:
                        view = view[os.write(fd, view) :]
                    if self._fsync:
                        os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as exc:
            reason = f"cannot append ({type(exc).__name__})"
            target = str(self.path)
            raise DeliveryError(reason, kind=self.kind, target=target, retryable=True) from None
        return DeliveryResult(self.name, remote_id=message.dedup_key)
