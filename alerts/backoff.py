"""Retry timing for failed deliveries: exponential backoff with full jitter.

Semantics used by the dispatcher:

- ``attempt`` counts attempts already made, so after the first failure ``attempt == 1``.
- ``max_attempts`` is the total number of attempts including the first: with
  ``max_attempts=8`` a delivery is tried at most 8 times and dead-lettered after the 8th
  failure. ``max_attempts=1`` means never retry. A non-retryable error dead-letters at once.
- The delay before the next attempt is uniform in ``[0, min(cap, base * 2 ** (attempt - 1))]``
  ("full jitter", so a burst of failures does not retry in lock-step), but never shorter than
  the server's ``retry_after`` when one was given: Retry-After is a floor, not capped.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from alerts.errors import DeliveryError

_MAX_EXPONENT = 62


def next_attempt_delay(
    *, attempt: int, base: float, cap: float, rng: random.Random, retry_after: float | None
) -> float:
    """Seconds to wait after ``attempt`` failed attempts (>= 1) before trying again."""
    if attempt < 1:
        raise ValueError(f"attempt must be >= 1, got {attempt}")
    if base <= 0 or cap < 0:
        raise ValueError(f"base must be > 0 and cap >= 0, got base={base}, cap={cap}")
    ceiling = min(cap, base * 2.0 ** min(attempt - 1, _MAX_EXPONENT))
    delay = rng.uniform(0.0, ceiling)
    if retry_after is not None and retry_after > delay:
        return float(retry_after)
    return delay


def should_retry(*, attempt: int, max_attempts: int, retryable: bool) -> bool:
    """True when another attempt is allowed after ``attempt`` failed attempts."""
    return retryable and attempt < max_attempts


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
    max_attempts: int = 8

    def decide(self, *, attempt: int, error: DeliveryError, rng: random.Random) -> RetryDecision:
        """Retry with backoff while attempts remain and the error is retryable."""
        allowed = should_retry(
            attempt=attempt, max_attempts=self.max_attempts, retryable=error.retryable
        )
        if not allowed:
            why = "not retryable" if not error.retryable else f"gave up after {attempt} attempts"
            return RetryDecision(retry=False, delay=None, reason=f"{error} — {why}")
        delay = next_attempt_delay(
            attempt=attempt, base=self.base, cap=self.cap, rng=rng, retry_after=error.retry_after
        )
        return RetryDecision(retry=True, delay=delay, reason=str(error))
