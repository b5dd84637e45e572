"""Helpers for testing and benchmarking the service (public, like ``alerts.testing``): a local
feed server, RSS documents, free ports, a playbook that notifies one channel, and the command
line to start ``crisiswatch`` as a subprocess."""

from __future__ import annotations

import socket
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# ``python -c`` rather than the console script: the checkout under test need not be installed.
CLI_COMMAND = [
    sys.executable, "-c", "from monitor.cli.main import cli\ncli(prog_name='crisiswatch')"
]

NOTIFY_PLAYBOOK = """\
name: all
description: Notify the risk channel once; the next level is far beyond any test.
applies_to: {grades: [low, medium, high, critical]}
sla: {time_to_ack: 1h, time_to_first_response: 2h}
checklist:
  - {id: look, owner: on-call responder, text: Look at it.}
steps:
  - notify: [risk]
  - wait_ack: 1h
  - notify: [risk]
repeat: 0
scripts: []
"""


def rss(items: list[tuple[str, str]], *, title: str = "feed",
        published: datetime | None = None) -> bytes:
    """An RSS document with one item per (guid, text), published five minutes ago by default."""
    when = format_datetime(published or datetime.now(UTC) - timedelta(minutes=5))
    body = "".join(
        f"<item><title>{text}</title><guid isPermaLink=\"false\">{guid}</guid>"
        f"<pubDate>{when}</pubDate><description>{text}</description></item>"
        for guid, text in items
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{title}</title>{body}</channel></rss>").encode()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class FeedServer:
    """Serves ``feeds[path]`` (bytes, replaceable at any time) on 127.0.0.1; 404 otherwise.
    ``hits`` counts the requests per path."""

    feeds: dict[str, bytes] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
                pass

            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                body = owner.feeds.get(self.path)
                owner.hits[self.path] = owner.hits.get(self.path, 0) + 1
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="feed-server",
                         daemon=True).start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
