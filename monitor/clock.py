"""The clock type every time-dependent part takes, the real one, and the drill clock (tests
and drills inject their own)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The real time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class DrillClock:
    """``scenario_start + (wall() - wall_start) * speed``."""

    scenario_start: datetime
    wall_start: datetime
    speed: float
    wall: Callable[[], datetime] = field(default=utcnow, compare=False)

    def __call__(self) -> datetime:
        return self.scenario_start + (self.wall() - self.wall_start) * self.speed

    def wall_seconds_until(self, moment: datetime) -> float:
        """Wall-clock seconds until the drill clock reads ``moment`` (0 if it has passed)."""
        return max(0.0, (moment - self()).total_seconds() / self.speed)
