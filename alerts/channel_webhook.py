"""Generic webhook channel: signed, versioned JSON POST (see alerts/README_webhook.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

from alerts.channel import ChannelBase, Clock, Options
from alerts.http_post import make_client, post_json
from alerts.message import AlertMessage, DeliveryResult, ThreadRef
from alerts.payload import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    build_payload,
    encode_payload,
    sign,
)

MAX_BODY: Final = 1_000_000


class WebhookChannel(ChannelBase):
    """POSTs payload version 1, signed with HMAC-SHA256 over ``timestamp + "." + body``."""

    kind: ClassVar[str] = "webhook"
    required_options: ClassVar[tuple[str, ...]] = ("url_env", "secret_env")
    optional_options: ClassVar[tuple[str, ...]] = ("timeout",)

    supports_threads = False
    max_text = MAX_BODY

    def __init__(
        self, *, name: str, url: str, secret: str, timeout: float = 10.0, clock: Clock
    ) -> None:
        self.name = name
        self._url = url
        self._secret = secret
        self._clock = clock
        self._client = make_client(timeout=timeout)

    @classmethod
    def from_options(
        cls, *, name: str, options: Mapping[str, Any], environ: Mapping[str, str], clock: Clock
    ) -> WebhookChannel:
        """Build from ``url_env``, ``secret_env`` and optional ``timeout`` (seconds)."""
        opts = Options(name=name, kind=cls.kind, values=options, environ=environ)
        return cls(
            name=name,
            url=opts.secret("url_env"),
            secret=opts.secret("secret_env"),
            timeout=opts.number("timeout", 10.0, minimum=0.1),
            clock=clock,
        )

    def send(self, *, message: AlertMessage, thread: ThreadRef | None) -> DeliveryResult:
        """POST one signed payload; 2xx is success (the thread is ignored)."""
        now = self._clock()
        payload = build_payload(message, sent_at=datetime.fromtimestamp(now, UTC))
        body = encode_payload(payload)
        timestamp = str(int(now))
        headers = {
            SIGNATURE_HEADER: sign(secret=self._secret, timestamp=timestamp, body=body),
            TIMESTAMP_HEADER: timestamp,
            DELIVERY_HEADER: message.dedup_key,
        }
        post_json(
            client=self._client,
            url=self._url,
            body=body,
            headers=headers,
            kind=self.kind,
            target=self.name,
            clock=self._clock,
        )
        return DeliveryResult(channel=self.name, remote_id=message.dedup_key)

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()
