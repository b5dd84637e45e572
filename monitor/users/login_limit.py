"""Login rate limiting: at most N failures per account and per address in a sliding window.

Kept in memory, per process: the console runs in one process per instance, and a restart
forgetting failures is acceptable (argon2 keeps each guess slow anyway).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta


class LoginLimiter:
    """Counts failed logins per key (``user:NAME``, ``addr:IP``)."""

    def __init__(self, *, attempts: int, window: timedelta,
                 clock: Callable[[], datetime]) -> None:
        self._attempts, self._window, self._clock = attempts, window, clock
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> float:
        """Seconds until another try is allowed for all ``keys`` (0: now)."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._trim(key, now)
                if times is not None and len(times) >= self._attempts:
                    wait = max(wait, (times[0] + self._window - now).total_seconds())
        return wait

    def failed(self, *keys: str) -> None:
        """Count one failure against every key."""
        now = self._clock()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, user_key: str) -> None:
        """A good login clears the account's failures (not the address's)."""
        with self._lock:
            self._failures.pop(user_key, None)

    def _trim(self, key: str, now: datetime) -> deque[datetime] | None:
        # keys without failures in the window are dropped, so names tried once (or sprayed)
        # do not pile up in memory
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self._window:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times
