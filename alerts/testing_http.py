"""Generic local HTTP recorder used by the test helpers in alerts.testing.

A ThreadingHTTPServer on 127.0.0.1:0 that records every request (method, path, headers, raw
body, parsed JSON or form) and answers from a queue of programmed ``FakeResponse`` values,
falling back to the server's normal answer.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received; ``json`` / ``form`` are parsed bodies when they apply."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    form: dict[str, str]
    received_at: float
    api_method: str | None = None

    def header(self, name: str) -> str | None:
        """A header value by case-insensitive name."""
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    @property
    def params(self) -> dict[str, Any]:
        """Query, form and JSON fields merged (JSON wins), as a Slack server reads them."""
        merged: dict[str, Any] = {**self.query, **self.form}
        if isinstance(self.json, dict):
            merged.update(self.json)
        return merged


@dataclass(frozen=True)
class FakeResponse:
    """A programmed answer. ``body=None`` means "answer normally", after ``delay`` seconds."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def ratelimited(cls, *, retry_after: float = 1) -> FakeResponse:
        """HTTP 429 with Retry-After and Slack's ``ratelimited`` error."""
        return cls(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": f"{retry_after:g}"})

    @classmethod
    def error(cls, error: str, *, status: int = 200) -> FakeResponse:
        """A Slack ``{"ok": false, "error": ...}`` answer."""
        return cls(status, {"ok": False, "error": error})

    @classmethod
    def server_error(cls, status: int = 500, body: str = "internal server error") -> FakeResponse:
        """A plain-text 5xx answer."""
        return cls(status, body)

    @classmethod
    def slow(cls, seconds: float) -> FakeResponse:
        """The normal answer, ``seconds`` late."""
        return cls(delay=seconds)


class RecordingServer:
    """Base: a ThreadingHTTPServer on 127.0.0.1:0 that records requests and plays answers."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._requests: list[RecordedRequest] = []
        self._programs: dict[str | None, deque[FakeResponse]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> RecordingServer:
        """Start serving in a daemon thread."""
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("server not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- recording -------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """All requests so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def wait_for(self, count: int, *, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until at least ``count`` requests arrived (or timeout); return them."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(remaining)
            return list(self._requests)

    def program(self, key: str | None, *responses: FakeResponse) -> None:
        """Queue answers for the next requests matching ``key`` (None: any request)."""
        with self._lock:
            self._programs.setdefault(key, deque()).extend(responses)

    def _take_program(self, key: str | None) -> FakeResponse | None:
        with self._lock:
            for candidate in (key, None):
                queue = self._programs.get(candidate)
                if queue:
                    return queue.popleft()
        return None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)
            self._lock.notify_all()

    # -- answering (overridden) ------------------------------------------------------------
    def route_key(self, method: str, path: str) -> str | None:
        """The key programs are matched against (default: the path)."""
        return path

    def answer(self, request: RecordedRequest) -> FakeResponse:
        """The normal answer to ``request``."""
        return FakeResponse(200, {"ok": True})


def _make_handler(owner: RecordingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            return

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            content_type = self.headers.get("Content-Type", "")
            parsed_json: Any = None
            form: dict[str, str] = {}
            if "json" in content_type:
                try:
                    parsed_json = json.loads(body.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    parsed_json = None
            elif "x-www-form-urlencoded" in content_type:
                form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            key = owner.route_key(self.command, parts.path)
            request = RecordedRequest(
                method=self.command,
                path=parts.path,
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                headers=dict(self.headers.items()),
                body=body,
                json=parsed_json,
                form=form,
                received_at=time.time(),
                api_method=key if parts.path.startswith("/api/") else None,
            )
            owner._record(request)
            programmed = owner._take_program(key)
            response = programmed if programmed is not None else FakeResponse()
            if response.delay:
                time.sleep(response.delay)
            if response.body is None:
                normal = owner.answer(request)
                headers = {**normal.headers, **response.headers}
                response = FakeResponse(normal.status, normal.body, headers)
            self._write(response)

        def _write(self, response: FakeResponse) -> None:
            body = response.body
            if isinstance(body, dict | list):
                data = json.dumps(body).encode("utf-8")
                content_type = "application/json; charset=utf-8"
            else:
                data = body if isinstance(body, bytes) else str(body).encode("utf-8")
                content_type = "text/plain; charset=utf-8"
            try:
                self.send_response(response.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (e.g. a timeout test); nothing left to answer.
                self.close_connection = True

        do_POST = do_GET = do_PUT = _handle

    return Handler


class WebhookRecorder(RecordingServer):
    """Records webhook POSTs; answers ``default`` (JSON ``{"ok": true}`` unless given)."""

    def __init__(self, default: FakeResponse | None = None) -> None:
        super().__init__()
        self.default = default or FakeResponse(200, {"ok": True})

    def answer(self, request: RecordedRequest) -> FakeResponse:
        """The default answer."""
        return self.default
