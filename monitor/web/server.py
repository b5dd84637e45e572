"""Serving the web application with uvicorn: in the foreground (``crisiswatch web``) or on a
background thread beside the service (``crisiswatch run``)."""

from __future__ import annotations

import logging
import threading

import uvicorn
from fastapi import FastAPI

from monitor.app import App

log = logging.getLogger("monitor.web")


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
        """Serve in the background; RuntimeError if it could not listen in ``timeout``."""
        self._thread.start()
        waited = threading.Event()
        for _ in range(int(timeout / 0.02)):
            if self.server.started or not self._thread.is_alive():
                break
            waited.wait(0.02)
        if not self.server.started:
            raise RuntimeError(f"the web console could not listen on "
                               f"{self.server.config.host}:{self.server.config.port}")
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


def serve(asgi: FastAPI, *, host: str, port: int) -> None:
    """Serve in the foreground until interrupted (Ctrl-C, SIGTERM)."""
    uvicorn.run(asgi, host=host, port=port, log_level="info", lifespan="off", proxy_headers=True)
