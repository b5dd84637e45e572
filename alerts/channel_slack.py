"""Slack channel: bot mode (Web API, one thread per incident) or incoming-webhook mode.

Bot mode: the first event of an incident posts the root message (Block Kit with buttons);
later events are posted in its thread (``thread_ts``) and the root is updated in place with the
current status (``chat.update``). A failed root update after a delivered reply is reported in
``DeliveryResult.warnings`` rather than raised, so a retry cannot post the reply twice.
Webhook mode: every event is a standalone message (no threads, no updates).
"""

from __future__ import annotations

import dataclasses
import http.client
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from alerts.channel import ChannelBase, Clock, Options
from alerts.errors import DeliveryError
from alerts.message import AlertMessage, DeliveryResult, ThreadRef
from alerts.render_slack import TEXT_LIMIT, fallback_text, reply_blocks, root_blocks
from alerts.sanitize import clean_text
from alerts.slack_errors import (
    KIND,
    BoundedRateLimitRetryHandler,
    header_retry_after,
    slack_api_error,
    transport_error,
)

DEFAULT_BROADCAST: Final = ("escalated", "grade_changed", "reopened")
_NETWORK_ERRORS: Final = (OSError, http.client.HTTPException)


class SlackChannel(ChannelBase):
    """Slack delivery; see the module docstring for the two modes."""

    kind: ClassVar[str] = KIND
    required_options: ClassVar[tuple[str, ...]] = ("channel",)
    optional_options: ClassVar[tuple[str, ...]] = (
        "mode",
        "token_env",
        "webhook_url_env",
        "base_url",
        "timeout",
        "rate_limit_retries",
        "max_inline_wait",
        "update_root",
        "broadcast_events",
    )

    max_text = TEXT_LIMIT

    def __init__(
        self,
        *,
        name: str,
        channel: str,
        client: WebClient | None = None,
        webhook: WebhookClient | None = None,
        update_root: bool = True,
        broadcast_events: tuple[str, ...] = DEFAULT_BROADCAST,
    ) -> None:
        if (client is None) == (webhook is None):
            raise ValueError("SlackChannel needs exactly one of client (bot) or webhook")
        self.name = name
        self.channel = channel
        self._client = client
        self._webhook = webhook
        self._update_root = update_root
        self._broadcast = frozenset(broadcast_events)
        self.supports_threads = client is not None

    @classmethod
    def missing_options(cls, options: Mapping[str, Any]) -> tuple[str, ...]:
        """Bot mode needs ``channel``; webhook mode needs ``webhook_url_env``."""
        needed = ("webhook_url_env",) if options.get("mode") == "webhook" else ("channel",)
        return tuple(key for key in needed if options.get(key) in (None, ""))

    @classmethod
    def from_options(
        cls, *, name: str, options: Mapping[str, Any], environ: Mapping[str, str], clock: Clock
    ) -> SlackChannel:
        """Build a WebClient (bot) or WebhookClient from options; secrets come from env vars."""
        opts = Options(name=name, kind=cls.kind, values=options, environ=environ)
        mode = opts.choice("mode", ("bot", "webhook"), "bot")
        timeout = opts.integer("timeout", 10, minimum=1)
        handler = BoundedRateLimitRetryHandler(
            max_retry_count=opts.integer("rate_limit_retries", 1, minimum=0),
            max_wait=opts.number("max_inline_wait", 5.0, minimum=0.0),
        )
        broadcast = opts.values.get("broadcast_events", list(DEFAULT_BROADCAST))
        if not isinstance(broadcast, list | tuple) or not all(
            isinstance(event, str) for event in broadcast
        ):
            raise opts.error("option 'broadcast_events' must be a list of event names")
        update_root = opts.flag("update_root", True)
        if mode == "webhook":
            webhook = WebhookClient(
                url=opts.secret("webhook_url_env"),
                timeout=timeout,
                retry_handlers=[ConnectionErrorRetryHandler(), handler],
            )
            label = opts.text("channel", "incoming-webhook")
            return cls(name=name, channel=label, webhook=webhook)
        kwargs: dict[str, Any] = {"token": opts.secret("token_env", "SLACK_BOT_TOKEN")}
        base_url = opts.optional_text("base_url")
        if base_url is not None:
            kwargs["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
        client = WebClient(timeout=timeout, **kwargs)
        client.retry_handlers.append(handler)
        return cls(
            name=name,
            channel=opts.text("channel"),
            client=client,
            update_root=update_root,
            broadcast_events=tuple(broadcast),
        )

    def send(self, *, message: AlertMessage, thread: ThreadRef | None) -> DeliveryResult:
        """Post the root, or a thread reply plus a root update; DeliveryError on failure."""
        if self._client is None:
            return self._send_webhook(message)
        if thread is None or message.event == "digest":
            response = self._call(
                "chat_postMessage",
                channel=self.channel,
                text=fallback_text(message),
                blocks=root_blocks(message),
                **_post_flags(message),
            )
            ts, conversation = str(response["ts"]), str(response["channel"])
            thread_id = None if message.event == "digest" else ts
            return DeliveryResult(self.name, ts, thread_id, conversation)
        conversation = thread.conversation or self.channel
        response = self._call(
            "chat_postMessage",
            channel=conversation,
            thread_ts=thread.thread_id,
            reply_broadcast=message.event in self._broadcast,
            text=fallback_text(message),
            blocks=reply_blocks(message),
            **_post_flags(message),
        )
        warnings: tuple[str, ...] = ()
        if self._update_root:
            root = dataclasses.replace(message, note=None)
            try:
                self._call(
                    "chat_update",
                    channel=conversation,
                    ts=thread.thread_id,
                    text=fallback_text(root),
                    blocks=root_blocks(root),
                )
            except DeliveryError as exc:
                warnings = (f"root update failed: {exc}",)
        return DeliveryResult(
            self.name, str(response["ts"]), thread.thread_id, conversation, warnings
        )

    @property
    def can_upload_files(self) -> bool:
        """True in bot mode: files go through the Web API, which a webhook cannot reach."""
        return self._client is not None

    def post_blocks(self, *, text: str, blocks: list[dict[str, Any]]) -> DeliveryResult:
        """Post one standalone message built by the caller (e.g. the digest summary).

        ``text`` is the notification fallback for ``blocks``. In bot mode the result carries the
        message's ``ts`` (``remote_id``) and ``conversation``, for ``upload_file``; a webhook
        answers with neither. DeliveryError on failure, as for ``send``.
        """
        if self._client is None:
            return self._post_webhook(text=text, blocks=blocks)
        response = self._call(
            "chat_postMessage",
            channel=self.channel,
            text=text,
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
        return DeliveryResult(self.name, str(response["ts"]), None, str(response["channel"]))

    def upload_file(
        self, *, conversation: str, thread_ts: str, content: bytes, filename: str, title: str
    ) -> None:
        """Upload ``content`` as a file into a message's thread (bot mode, scope files:write).

        DeliveryError on failure, or in webhook mode (see ``can_upload_files``).
        """
        if self._client is None:
            raise DeliveryError(
                "file upload needs bot mode", kind=KIND, target=self.channel, retryable=False
            )
        self._call(
            "files_upload_v2",
            channel=conversation,
            thread_ts=thread_ts,
            content=content,
            filename=filename,
            title=title,
        )

    def _call(self, method: str, **kwargs: Any) -> Any:
        assert self._client is not None
        try:
            return getattr(self._client, method)(**kwargs)
        except SlackApiError as exc:
            raise slack_api_error(exc, target=self.channel) from None
        except SlackClientError as exc:
            reason = f"client error ({type(exc).__name__})"
            raise DeliveryError(reason, kind=KIND, target=self.channel, retryable=False) from None
        except _NETWORK_ERRORS as exc:
            raise transport_error(exc, target=self.channel) from None

    def _send_webhook(self, message: AlertMessage) -> DeliveryResult:
        blocks = (root_blocks(message, buttons=False) if message.event in ("opened", "digest")
                  else None)
        return self._post_webhook(text=fallback_text(message),
                                  blocks=blocks or reply_blocks(message))

    def _post_webhook(self, *, text: str, blocks: list[dict[str, Any]]) -> DeliveryResult:
        assert self._webhook is not None
        try:
            response = self._webhook.send(
                text=text,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except _NETWORK_ERRORS as exc:
            raise transport_error(exc, target=self.channel) from None
        status = response.status_code
        if status == 200:
            return DeliveryResult(self.name)
        body = clean_text(str(response.body or ""), single_line=True)[:80]
        reason = f"HTTP {status}" + (f" {body}" if body else "")
        retryable = status == 429 or status >= 500
        retry_after = header_retry_after(response.headers or {}) if retryable else None
        raise DeliveryError(
            reason, kind=KIND, target=self.channel, retryable=retryable, retry_after=retry_after
        )

    def close(self) -> None:
        """Nothing to release: slack-sdk opens a connection per call."""


def _post_flags(message: AlertMessage) -> dict[str, Any]:
    """No unfurling of outside links, no name linking, and machine-readable incident metadata."""
    return {
        "unfurl_links": False,
        "unfurl_media": False,
        "link_names": False,
        "metadata": {
            "event_type": "crisiswatch_incident",
            "event_payload": {
                "incident_id": message.incident_id[:200],
                "event": message.event,
                "drill": message.drill,
            },
        },
    }
