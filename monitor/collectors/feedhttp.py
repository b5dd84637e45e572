"""Bounded HTTP for feed polling: a client with sane limits, and a body reader that stops at
a size cap and a wall-clock deadline whatever the server does.

httpx's timeouts apply to each network operation, so a server that trickles one byte at a
time (headers or body) never trips them. ``Deadline`` closes that gap: it learns the socket
of every connection the fetch opens (through httpx's ``trace`` extension) and shuts it down
when the fetch's time is up, which unblocks any pending read.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import httpx

from monitor.collectors.feedtext import describe, one_line

DEFAULT_USER_AGENT = "crisiswatch/0.1 (+https://github.com/crisiswatch)"
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
# Decompressed output per zlib call, so a gzip bomb costs at most this much memory per step.
_INFLATE_STEP = 64 * 1024
_CODINGS = frozenset({"gzip", "x-gzip", "deflate"})


class BodyError(Exception):
    """A response body we refuse: too large, too slow or undecodable."""


def make_client(
    *,
    connect_timeout: float = 5.0,
    read_timeout: float = 15.0,
    max_redirects: int = 5,
    user_agent: str = DEFAULT_USER_AGENT,
    proxy: str | None = None,
) -> httpx.Client:
    """An httpx client for feed polling: bounded timeouts and redirects, no ambient config."""
    return httpx.Client(
        timeout=httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        ),
        follow_redirects=True,
        max_redirects=max_redirects,
        headers={"User-Agent": user_agent, "Accept": _ACCEPT, "Accept-Encoding": "gzip, deflate"},
        # Every fetch opens its own connection so that ``Deadline`` sees its socket; polls of
        # one host are minutes apart, so keep-alive would rarely save anything.
        limits=httpx.Limits(max_keepalive_connections=0),
        # No proxies, .netrc credentials or CA overrides picked up from the environment by
        # surprise; a deployment that needs a proxy passes it explicitly.
        trust_env=False,
        proxy=proxy,
    )


def default_budget(client: httpx.Client) -> float:
    """Wall-clock seconds allowed for one fetch with this client's timeouts."""
    timeout = client.timeout
    return (timeout.connect or 5.0) + 2 * (timeout.read or 15.0)


class Deadline:
    """A wall-clock limit on one fetch, enforced by shutting its sockets down when it passes."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self._end = time.monotonic() + budget
        self._fired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(budget, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._timer.cancel()

    @property
    def expired(self) -> bool:
        """True once the budget is spent (whether or not the watchdog has fired yet)."""
        return self._fired or time.monotonic() >= self._end

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpx ``trace`` hook: remember each new connection's socket."""
        if event != "connection.connect_tcp.complete":
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            fired = self._fired
        if fired:
            _shutdown(sock)

    def _fire(self) -> None:
        with self._lock:
            self._fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by httpx: nothing left to stop
        sock.shutdown(socket.SHUT_RDWR)


def read_body(response: httpx.Response, *, max_bytes: int, deadline: Deadline) -> bytes:
    """The decoded body, or BodyError once it exceeds ``max_bytes`` or the deadline."""
    coding = _content_coding(response.headers.get("content-encoding", ""))
    declared = response.headers.get("content-length", "").strip()
    cap = f"body exceeds {_size(max_bytes)} cap"
    if coding == "identity" and declared.isdigit() and int(declared) > max_bytes:
        raise BodyError(f"{cap} (Content-Length {declared})")
    inflater = _Inflater(coding)
    body = bytearray()
    for raw in response.iter_raw():
        for piece in inflater.feed(raw):
            body += piece
            if len(body) > max_bytes:
                raise BodyError(cap)
        if deadline.expired:
            break
    # A socket shut down by the deadline can look like a normal end of a close-delimited body.
    if deadline.expired:
        raise BodyError(f"timed out after {deadline.budget:g}s in total")
    body += inflater.flush()
    if len(body) > max_bytes:
        raise BodyError(cap)
    return bytes(body)


def _content_coding(header: str) -> str:
    codings = [c.strip().lower() for c in header.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return "identity"
    if len(codings) == 1 and codings[0] in _CODINGS:
        return codings[0]
    raise BodyError(f"unsupported Content-Encoding {one_line(header, 60)!r}")


class _Inflater:
    """Streaming gzip/deflate decoder whose output per step is bounded."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._started = False
        wbits = zlib.MAX_WBITS | 16 if coding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._zlib = None if coding == "identity" else zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._zlib is None:
            yield data
            return
        while True:
            try:
                out = self._zlib.decompress(data, _INFLATE_STEP)
            except zlib.error as exc:
                if self._coding == "deflate" and not self._started:
                    # Servers disagree on whether "deflate" means zlib-wrapped or raw.
                    self._started = True
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise BodyError(f"bad {self._coding} body: {exc}") from exc
            self._started = True
            if out:
                yield out
            data = self._zlib.unconsumed_tail
            if self._zlib.eof or (not data and len(out) < _INFLATE_STEP):
                return

    def flush(self) -> bytes:
        if self._zlib is None:
            return b""
        try:
            return self._zlib.flush()
        except zlib.error as exc:
            raise BodyError(f"bad {self._coding} body: {exc}") from exc


def error_line(exc: Exception, *, client: httpx.Client, url: str, deadline: Deadline | None) -> str:
    """One line naming what went wrong and where."""
    timeout = client.timeout
    if deadline is not None and deadline.expired:
        # Whatever broke after the deadline fired (usually "server disconnected") is its doing.
        message = f"timed out after {deadline.budget:g}s in total fetching {url}"
    elif isinstance(exc, BodyError):
        message = f"{exc} from {url}"
    elif isinstance(exc, httpx.ConnectTimeout):
        message = f"timed out after {_seconds(timeout.connect)} connecting to {url}"
    elif isinstance(exc, httpx.ReadTimeout):
        message = f"timed out after {_seconds(timeout.read)} reading {url}"
    elif isinstance(exc, httpx.WriteTimeout):
        message = f"timed out after {_seconds(timeout.write)} sending the request to {url}"
    elif isinstance(exc, httpx.PoolTimeout):
        message = f"timed out after {_seconds(timeout.pool)} waiting for a connection to {url}"
    elif isinstance(exc, httpx.TooManyRedirects):
        message = f"too many redirects (more than {client.max_redirects}) from {url}"
    elif isinstance(exc, httpx.ConnectError):
        message = f"cannot connect to {url}: {exc}"
    elif isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        message = f"invalid feed URL {url!r}: {exc}"
    elif isinstance(exc, httpx.HTTPError):
        message = f"{describe(exc)} fetching {url}"
    else:
        message = f"unexpected error fetching {url}: {describe(exc)}"
    return one_line(message, 500)


def _size(n: int) -> str:
    mib, kib = 1024 * 1024, 1024
    if n >= mib and n % mib == 0:
        return f"{n // mib} MB"
    if n >= kib and n % kib == 0:
        return f"{n // kib} KB"
    return f"{n} byte"


def _seconds(value: float | None) -> str:
    return f"{value:g}s" if value else "the limit"
