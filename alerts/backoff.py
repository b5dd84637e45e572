"""Retry timing for failed deliveries: retry for a time budget, with floored, capped backoff.

Semantics used by the dispatcher:

- ``attempt`` counts attempts already made, so after the first failure ``attempt == 1``;
  ``failing_for`` is how long the delivery has been failing (0 at its first failure).
- A retryable failure is retried until it has been failing for ``budget`` seconds (24 h by
  default): an outage of minutes or hours costs time, never the alert. Only a non-retryable
  (permanent) error, e.g. Slack's ``channel_not_found`` or ``invalid_auth``, dead-letters at
  once. ``max_attempts`` (None: no limit) optionally bounds the attempts as well.
- The delay before the next attempt is uniform in ``[step / 2, step]`` with
  ``step = min(cap, base * 2 ** (attempt - 1))``: it doubles from ``base`` up to ``cap``, is
  jittered so a burst of failures does not retry in lock-step, and never falls below half its
  step (the floor), so a string of unlucky draws cannot burn attempts in a few seconds. The
  server's ``retry_after`` is a floor too, and is not capped.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from alerts.errors import DeliveryError

_MAX_EXPONENT = 62
DAY = 86_400.0


def next_attempt_delay(
    *, attempt: int, base: float, cap: float, rng: random.Random, retry_after: float | None
) -> float:
    """Seconds to wait after ``attempt`` failed attempts (>= 1) before trying again."""
    if attempt < 1:
        raise ValueError(f"attempt must be >= 1, got {attempt}")
    if base <= 0 or cap < base:
        raise ValueError(f"base must be > 0 and cap >= base, got base={base}, cap={cap}")
    step = min(cap, base * 2.0 ** min(attempt - 1, _MAX_EXPONENT))
    delay = rng.uniform(step / 2, step)
    if retry_after is not None and retry_after > delay:
        return float(retry_after)
    return delay


@dataclass(frozen=True)
class RetryDecision:
    """After a failure: retry after ``delay`` seconds, or dead-letter when ``retry`` is False."""

    retry: bool
    delay: float | None
    reason: str


@dataclass(frozen=True)
class RetryPolicy:
    """A channel's retry settings; ``decide`` turns one failure into a RetryDecision."""

    base: float = 2.0
    cap: float = 300.0
    budget: float = DAY
    max_attempts: int | None = None

    def decide(
        self, *, attempt: int, error: DeliveryError, rng: random.Random, failing_for: float
    ) -> RetryDecision:
        """Retry a retryable error with backoff until the budget (or max_attempts) is spent."""
        if not error.retryable:
            return RetryDecision(retry=False, delay=None, reason=f"{error} — not retryable")
        if self.max_attempts is not None and attempt >= self.max_attempts:
            why = f"gave up after {attempt} attempts"
            return RetryDecision(retry=False, delay=None, reason=f"{error} — {why}")
        if failing_for >= self.budget:
            why = f"gave up after {attempt} attempts over {_duration(failing_for)}"
            return RetryDecision(retry=False, delay=None, reason=f"{error} — {why}")
        delay = next_attempt_delay(
            attempt=attempt, base=self.base, cap=self.cap, rng=rng, retry_after=error.retry_after
        )
        return RetryDecision(retry=True, delay=delay, reason=str(error))


def _duration(seconds: float) -> str:
    """``1h 30m``-style text for a give-up message."""
    minutes = math.floor(seconds / 60)
    if minutes < 1:
        return f"{seconds:.0f}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"
