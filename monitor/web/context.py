"""What every route reads: the composition root's App, the clock and the login limiter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from config.schema import Settings, WebSettings
from monitor.app import App
from monitor.users.login_limit import LoginLimiter


@dataclass
class WebContext:
    """Shared by every request of one web application."""

    app: App
    clock: Callable[[], datetime]
    limiter: LoginLimiter

    @property
    def settings(self) -> Settings:
        return self.app.settings

    @property
    def web(self) -> WebSettings:
        return self.app.settings.web

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session committed when the block ends without an exception."""
        with self.app.sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only (nothing is committed)."""
        with self.app.sessions() as session:
            yield session
