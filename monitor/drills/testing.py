"""Test helpers for drills: a wall clock that moves only when the drill sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeWall:
    """Pass ``wall=fake`` and ``sleep=fake.sleep`` to ``run_drill``: a drill of any length then
    runs as fast as the pipeline can go, and every timing is exact and repeatable."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)
        self.slept = 0.0

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += timedelta(seconds=seconds)
