"""The Channel protocol and the typed option reader every channel's ``from_options`` uses."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Protocol

from alerts.errors import ChannelConfigError
from alerts.message import AlertMessage, DeliveryResult, ThreadRef

Clock = Callable[[], float]


class Channel(Protocol):
    """A configured destination. ``send`` raises DeliveryError on failure, never anything else
    for network or remote problems."""

    kind: ClassVar[str]
    required_options: ClassVar[tuple[str, ...]]
    optional_options: ClassVar[tuple[str, ...]]
    name: str
    supports_threads: bool
    max_text: int

    @classmethod
    def missing_options(cls, options: Mapping[str, Any]) -> tuple[str, ...]:
        """Required options absent from ``options`` (some depend on a mode option)."""
        ...

    @classmethod
    def from_options(
        cls, *, name: str, options: Mapping[str, Any], environ: Mapping[str, str], clock: Clock
    ) -> Channel:
        """Build the channel from checked options; ChannelConfigError on bad values."""
        ...

    def send(self, *, message: AlertMessage, thread: ThreadRef | None) -> DeliveryResult:
        """Deliver one alert, threaded under ``thread`` where the channel supports it."""
        ...

    def close(self) -> None:
        """Release connections or files held by the channel."""
        ...


class ChannelBase:
    """Default ``missing_options``: every name in ``required_options`` must be present."""

    required_options: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def missing_options(cls, options: Mapping[str, Any]) -> tuple[str, ...]:
        """Required options absent from ``options``."""
        return tuple(key for key in cls.required_options if options.get(key) in (None, ""))

    def close(self) -> None:
        """Nothing to release by default."""


def system_clock() -> float:
    """Wall-clock seconds since the epoch (the default injected clock)."""
    return time.time()


class Options:
    """Typed access to one channel's options; every error names the channel and the option."""

    def __init__(
        self, *, name: str, kind: str, values: Mapping[str, Any], environ: Mapping[str, str]
    ) -> None:
        self.name = name
        self.kind = kind
        self.values = values
        self.environ = environ

    def error(self, problem: str) -> ChannelConfigError:
        """A ChannelConfigError for this channel."""
        return ChannelConfigError(self.name, self.kind, problem)

    def text(self, key: str, default: str | None = None) -> str:
        """A non-empty string option (``default`` when absent; error when absent and no default)."""
        value = self.values.get(key)
        if value is None:
            if default is None:
                raise self.error(f"missing option {key!r}")
            return default
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"option {key!r} must be a non-empty string")
        return value.strip()

    def optional_text(self, key: str) -> str | None:
        """A non-empty string option, or None when absent."""
        return None if self.values.get(key) is None else self.text(key)

    def number(self, key: str, default: float, *, minimum: float = 0.0) -> float:
        """A number option >= ``minimum``."""
        value = self.values.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self.error(f"option {key!r} must be a number >= {minimum:g}, got {value!r}")
        return float(value)

    def integer(self, key: str, default: int, *, minimum: int = 0) -> int:
        """An integer option >= ``minimum``."""
        value = self.values.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(f"option {key!r} must be an integer >= {minimum}, got {value!r}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        """A boolean option."""
        value = self.values.get(key, default)
        if not isinstance(value, bool):
            raise self.error(f"option {key!r} must be true or false, got {value!r}")
        return value

    def choice(self, key: str, choices: Sequence[str], default: str) -> str:
        """One of ``choices``."""
        value = self.values.get(key, default)
        if value not in choices:
            raise self.error(f"option {key!r} must be one of {', '.join(choices)}, got {value!r}")
        return str(value)

    def text_list(self, key: str) -> tuple[str, ...]:
        """A required list of strings (a comma-separated string is accepted too)."""
        value = self.values.get(key)
        if isinstance(value, str):
            value = [part for part in (p.strip() for p in value.split(",")) if part]
        if not isinstance(value, list | tuple) or not value:
            raise self.error(f"option {key!r} must be a non-empty list of strings")
        if not all(isinstance(item, str) and item.strip() for item in value):
            raise self.error(f"option {key!r} must contain only non-empty strings")
        return tuple(item.strip() for item in value)

    def secret(self, key: str, default_env: str | None = None) -> str:
        """The value of the environment variable named by option ``key`` (never logged)."""
        env_name = self.text(key, default_env)
        value = self.environ.get(env_name, "")
        if not value.strip():
            raise self.error(
                f"environment variable {env_name} (named by option {key!r}) is not set"
            )
        return value.strip()

    def optional_secret(self, key: str) -> str | None:
        """Like ``secret`` but None when the option is absent."""
        return None if self.values.get(key) is None else self.secret(key)
