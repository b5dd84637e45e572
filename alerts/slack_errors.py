"""Slack failures as DeliveryError, and the bounded in-call rate-limit retry handler."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from alerts.errors import DeliveryError
from alerts.http_post import MAX_RETRY_AFTER

KIND: Final = "slack"
# Slack error codes that a later retry can cure; everything else needs a person.
RETRYABLE_ERRORS: Final[frozenset[str]] = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
_SLACK_CODE: Final = re.compile(r"[a-z0-9_]{1,80}")


def header_retry_after(headers: Mapping[str, Any]) -> float | None:
    """Retry-After seconds from Slack response headers (values may be str or [str])."""
    for key, value in headers.items():
        if key.lower() != "retry-after":
            continue
        raw = value[0] if isinstance(value, list) and value else value
        try:
            return min(max(float(raw), 0.0), MAX_RETRY_AFTER)
        except (TypeError, ValueError):
            return None
    return None


def slack_api_error(exc: SlackApiError, *, target: str) -> DeliveryError:
    """Map a SlackApiError: 429/ratelimited and 5xx retryable, named errors per RETRYABLE_ERRORS."""
    response = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    data = response.data if isinstance(getattr(response, "data", None), dict) else {}
    raw_error = str(data.get("error") or "")
    code = raw_error if _SLACK_CODE.fullmatch(raw_error) else ""
    headers = getattr(response, "headers", None) or {}
    if status == 429 or code == "ratelimited":
        return DeliveryError(
            "ratelimited",
            kind=KIND,
            target=target,
            retryable=True,
            retry_after=header_retry_after(headers),
        )
    if status >= 500:
        reason = f"HTTP {status}" + (f" {code}" if code else "")
        retry_after = header_retry_after(headers)
        return DeliveryError(
            reason, kind=KIND, target=target, retryable=True, retry_after=retry_after
        )
    reason = code or (f"HTTP {status}" if status else "unexpected answer")
    return DeliveryError(reason, kind=KIND, target=target, retryable=code in RETRYABLE_ERRORS)


def transport_error(exc: BaseException, *, target: str) -> DeliveryError:
    """A network-level failure (timeout, refused, reset): always retryable."""
    if isinstance(exc, TimeoutError):
        return DeliveryError("timeout", kind=KIND, target=target, retryable=True)
    reason = f"connection failed ({type(exc).__name__})"
    return DeliveryError(reason, kind=KIND, target=target, retryable=True)


class BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack-sdk's 429 handler, waiting inside the call only for short Retry-After values.

    A longer Retry-After is left to surface as DeliveryError(retry_after=...), so the
    dispatcher reschedules the delivery instead of blocking a worker for minutes.
    """

    def __init__(
        self,
        *,
        max_retry_count: int = 1,
        max_wait: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self._sleep = sleep

    def _wait_for(self, response: HttpResponse | None) -> float | None:
        if response is None or response.status_code != 429:
            return None
        seconds = header_retry_after(response.headers)
        return 1.0 if seconds is None else seconds

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        wait = self._wait_for(response)
        return wait is not None and wait <= self.max_wait

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        self._sleep(self._wait_for(response) or 0.0)
        state.increment_current_attempt()
