"""JSON POST over httpx with HTTP outcomes mapped to DeliveryError (webhook and chat robots).

Error messages name the channel, never the URL: robot URLs carry their access token.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from typing import Any, Final

import httpx

from alerts.channel import Clock
from alerts.errors import DeliveryError
from alerts.sanitize import clean_text

MAX_RETRY_AFTER: Final = 86_400.0
USER_AGENT: Final = "crisiswatch-alerts/1"


def make_client(*, timeout: float) -> httpx.Client:
    """A pooled client that never follows redirects (a redirect is a misconfiguration)."""
    return httpx.Client(timeout=timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT})


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), clamped to [0, 1 day]."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - now
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def post_json(
    *,
    client: httpx.Client,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    kind: str,
    target: str,
    clock: Clock,
) -> httpx.Response:
    """POST ``body`` as JSON; return a 2xx response or raise DeliveryError."""
    all_headers = {"Content-Type": "application/json; charset=utf-8", **headers}
    try:
        response = client.post(url, content=body, headers=all_headers)
    except httpx.TimeoutException:
        raise DeliveryError("timeout", kind=kind, target=target, retryable=True) from None
    except httpx.TransportError as exc:
        reason = f"connection failed ({type(exc).__name__})"
        raise DeliveryError(reason, kind=kind, target=target, retryable=True) from None
    check_status(response, kind=kind, target=target, clock=clock)
    return response


def check_status(response: httpx.Response, *, kind: str, target: str, clock: Clock) -> None:
    """Raise DeliveryError unless 2xx: 408/429/5xx retryable (Retry-After honoured), else not."""
    status = response.status_code
    if 200 <= status < 300:
        return
    retry_after = parse_retry_after(response.headers.get("Retry-After"), now=clock())
    if status == 429:
        raise DeliveryError(
            "rate limited (HTTP 429)",
            kind=kind,
            target=target,
            retryable=True,
            retry_after=retry_after,
        )
    retryable = status >= 500 or status == 408
    raise DeliveryError(
        f"HTTP {status}",
        kind=kind,
        target=target,
        retryable=retryable,
        retry_after=retry_after if retryable else None,
    )


def json_body(response: httpx.Response, *, kind: str, target: str) -> dict[str, Any]:
    """The response's JSON object, or a non-retryable DeliveryError naming what came back."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise DeliveryError("unexpected non-JSON answer", kind=kind, target=target, retryable=False)
    return data


def robot_error(
    kind: str, target: str, code: Any, text: Any, retryable_codes: Mapping[int, float | None]
) -> DeliveryError:
    """A DeliveryError for a chat robot's non-zero error code (message text cut and cleaned)."""
    reason = clean_text(str(text or ""), single_line=True)[:200]
    shown = clean_text(str(code), single_line=True)[:20]
    retryable = isinstance(code, int) and code in retryable_codes
    retry_after = retryable_codes.get(code) if isinstance(code, int) else None
    return DeliveryError(
        f"error {shown}: {reason}" if reason else f"error {shown}",
        kind=kind,
        target=target,
        retryable=retryable,
        retry_after=retry_after,
    )
