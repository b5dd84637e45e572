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
# Slack error codes that no retry can cure: a person must fix the token, scopes, channel or
# message. Only these (and a 4xx answer naming no error) dead-letter at once; any other error,
# known or new, is retried for the retry budget, as an outage would be.
PERMANENT_ERRORS: Final[frozenset[str]] = frozenset(
    {
        # token and workspace
        "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
        "no_permission", "missing_scope", "not_allowed_token_type", "org_login_required",
        "ekm_access_denied", "team_access_not_granted", "access_denied",
        "enterprise_is_restricted", "two_factor_setup_required",
        # channel
        "channel_not_found", "not_in_channel", "is_archived", "restricted_action",
        "restricted_action_read_only_channel", "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel", "cannot_reply_to_message",
        # the request itself
        "msg_too_long", "no_text", "too_many_attachments", "invalid_blocks",
        "invalid_blocks_format", "invalid_metadata_format", "invalid_metadata_schema",
        "metadata_too_large", "invalid_arguments", "invalid_arg_name", "invalid_array_arg",
        "invalid_charset", "invalid_form_data", "invalid_post_type", "missing_post_type",
        "unknown_method", "method_deprecated", "deprecated_endpoint",
        "as_user_not_supported", "message_not_found", "cant_update_message",
        "edit_window_closed",
    }
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
    """Map a SlackApiError: only PERMANENT_ERRORS (or a bare 4xx) are not retryable."""
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
    bare_4xx = not code and 400 <= status < 500 and status != 408
    permanent = code in PERMANENT_ERRORS or bare_4xx
    return DeliveryError(reason, kind=KIND, target=target, retryable=not permanent)


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
