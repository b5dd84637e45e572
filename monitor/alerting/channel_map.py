"""What the dispatcher is given: its channels (``ChannelMap``) and its policy.

Apart from ``monitor.alerting.dispatch`` (which re-exports both) so that building and checking
channels (``crisiswatch check-config``, ``channels``) loads no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from alerts.backoff import RetryPolicy
from alerts.channel import Channel
from alerts.grouping import GroupingPolicy


@dataclass(frozen=True)
class DispatchPolicy:
    """Retry and grouping policies, the claim lease, and the dashboard link base."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    grouping: GroupingPolicy = field(default_factory=GroupingPolicy)
    lease: timedelta = timedelta(minutes=1)
    dashboard_url: str | None = None


class ChannelMap:
    """Adapts a plain ``{name: Channel}`` mapping to what the dispatcher needs."""

    def __init__(
        self,
        channels: Mapping[str, Channel],
        *,
        unavailable: Mapping[str, str] | None = None,
        disabled: frozenset[str] = frozenset(),
    ) -> None:
        self.channels = dict(channels)
        self.unavailable = dict(unavailable or {})
        self.disabled = disabled

    def get(self, name: str) -> Channel | None:
        """The channel called ``name``, if usable."""
        return self.channels.get(name)

    def usable(self, name: str) -> bool:
        """True when ``name`` can deliver."""
        return name in self.channels

    def why_not(self, name: str) -> str:
        """The dead-letter reason for an unusable channel."""
        if name in self.unavailable:
            return f"channel {name!r} is not usable: {self.unavailable[name]}"
        return f"channel {name!r} is not configured"
