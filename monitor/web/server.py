"""Serving the web application with uvicorn: in the foreground (``crisiswatch web``) or on a
background thread beside the service (``crisiswatch run``)."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from types import FrameType

import uvicorn
from fastapi import FastAPI

from monitor.app import App
from monitor.service.leader import ServiceError

log = logging.getLogger("monitor.web")


class ConsoleError(ServiceError):
    """The console cannot listen where asked (the port is taken, the address is not ours)."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"the web console could not listen on {host}:{port} (in use? set "
                         "web.port, or pass --no-web / --port)")


class WebServer:
    """uvicorn on a daemon thread; ``start`` returns once it listens."""

    def __init__(self, asgi: FastAPI, *, host: str, port: int) -> None:
        config = uvicorn.Config(asgi, host=host, port=port, log_level="warning", lifespan="off",
                                access_log=False, proxy_headers=True, timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name="web-http", daemon=True)

    @property
    def port(self) -> int:
        """The bound port (useful when 0 was asked)."""
        sockets = self.server.servers[0].sockets
        return int(sockets[0].getsockname()[1])

    def start(self, timeout: float = 10.0) -> WebServer:
        """Serve in the background; ConsoleError if it could not listen in ``timeout``."""
        self._thread.start()
        waited = threading.Event()
        for _ in range(int(timeout / 0.02)):
            if self.server.started or not self._thread.is_alive():
                break
            waited.wait(0.02)
        if not self.server.started:
            self.stop()
            raise ConsoleError(self.server.config.host, self.server.config.port)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=5)

    close = stop


def start_console(app: App) -> WebServer | None:
    """The console of ``crisiswatch run`` on ``web.host``/``web.port`` (None when port is null)."""
    from monitor.web.app import create_web_app

    web = app.settings.web
    if web.port is None:
        return None
    server = WebServer(create_web_app(app=app), host=web.host, port=web.port).start()
    log.info("web console on http://%s:%d/", web.host, server.port)
    return server


class _Announcing(uvicorn.Server):
    """uvicorn telling its caller the address once it listens (port 0 picks a free one)."""

    def __init__(self, config: uvicorn.Config, announce: Callable[[int], None]) -> None:
        super().__init__(config)
        self._announce = announce

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Ctrl-C or SIGTERM is the normal way to stop (exit status 0, as `crisiswatch run`);
        # uvicorn would raise the signal again once stopped, ending in "Aborted!" and status 1
        super().handle_exit(sig, frame)
        getattr(self, "_captured_signals", []).clear()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._announce(int(self.servers[0].sockets[0].getsockname()[1]))


def serve(asgi: FastAPI, *, host: str, port: int,
          announce: Callable[[int], None] = lambda port: None) -> None:
    """Serve in the foreground until interrupted (Ctrl-C, SIGTERM); ``announce`` gets the
    bound port once it listens; ConsoleError if it cannot listen."""
    config = uvicorn.Config(asgi, host=host, port=port, log_level="warning", lifespan="off",
                            proxy_headers=True, timeout_graceful_shutdown=2)
    try:
        _Announcing(config, announce).run()
    except SystemExit:  # uvicorn exits when it cannot bind, after logging why
        raise ConsoleError(host, port) from None
