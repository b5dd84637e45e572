"""Exceptions raised by the alert channels and their registry."""

from __future__ import annotations


class DeliveryError(Exception):
    """A send failed; ``retryable`` says whether trying again later can help.

    The message is one line naming the channel kind, the reason and the target, never a secret,
    e.g. ``slack: channel_not_found for #risk-alerts (not retryable)``.
    """

    def __init__(
        self,
        reason: str,
        *,
        kind: str,
        target: str,
        retryable: bool,
        retry_after: float | None = None,
    ) -> None:
        self.reason = reason
        self.kind = kind
        self.target = target
        self.retryable = retryable
        self.retry_after = retry_after
        if retryable and retry_after is not None:
            verdict = f"retryable, retry after {retry_after:g}s"
        else:
            verdict = "retryable" if retryable else "not retryable"
        super().__init__(f"{kind}: {reason} for {target} ({verdict})")


class ChannelConfigError(Exception):
    """A channel's options or environment are wrong; the message names channel and field."""

    def __init__(self, channel: str, kind: str, problem: str) -> None:
        self.channel = channel
        self.kind = kind
        self.problem = problem
        super().__init__(f"channel {channel!r} ({kind}): {problem}")
