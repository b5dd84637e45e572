"""Feishu / Lark custom bot: rich-text ``post`` messages, optional signing.

Format: POST ``{"msg_type": "post", "content": {"post": {"zh_cn": {"title", "content"}}}}`` to
``https://open.feishu.cn/open-apis/bot/v2/hook/...``. With signature verification on, the body
also carries ``"timestamp"`` (seconds, as a string) and ``"sign"`` =
``base64(HmacSHA256(key=timestamp + "\\n" + secret, message=b""))``. The request body may be at
most 20 KB (Feishu's documented limit). The answer is ``{"code": 0, ...}`` (older deployments:
``{"StatusCode": 0}``); any other code is a failure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from alerts.channel import ChannelBase, Clock, Options
from alerts.http_post import json_body, make_client, post_json, robot_error
from alerts.message import AlertMessage, DeliveryResult, ThreadRef
from alerts.render_markdown import render_post, shrink_post

BODY_LIMIT: Final = 20_000
# 11232: frequency limited (100 a minute, 5 a second per bot).
RETRYABLE_CODES: Final[dict[int, float | None]] = {11232: 1.0}


def feishu_sign(*, secret: str, timestamp: int) -> str:
    """The ``sign`` field: HMAC-SHA256 keyed by ``timestamp\\nsecret`` over an empty message."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


class FeishuChannel(ChannelBase):
    """Posts one rich-text message per alert (no threads)."""

    kind: ClassVar[str] = "feishu"
    required_options: ClassVar[tuple[str, ...]] = ("url_env",)
    optional_options: ClassVar[tuple[str, ...]] = ("secret_env", "timeout", "max_bytes")

    supports_threads = False

    def __init__(
        self,
        *,
        name: str,
        url: str,
        secret: str | None,
        clock: Clock,
        timeout: float = 10.0,
        max_bytes: int = BODY_LIMIT,
    ) -> None:
        self.name = name
        self._url = url
        self._secret = secret
        self._clock = clock
        self.max_text = min(max_bytes, BODY_LIMIT)
        self._client = make_client(timeout=timeout)

    @classmethod
    def from_options(
        cls, *, name: str, options: Mapping[str, Any], environ: Mapping[str, str], clock: Clock
    ) -> FeishuChannel:
        """Build from ``url_env`` and optional ``secret_env``, ``timeout``, ``max_bytes``."""
        opts = Options(name=name, kind=cls.kind, values=options, environ=environ)
        return cls(
            name=name,
            url=opts.secret("url_env"),
            secret=opts.optional_secret("secret_env"),
            clock=clock,
            timeout=opts.number("timeout", 10.0, minimum=0.1),
            max_bytes=opts.integer("max_bytes", BODY_LIMIT, minimum=1000),
        )

    def build_body(self, message: AlertMessage) -> bytes:
        """The (signed) JSON body for ``message``, shrunk to ``max_text`` bytes."""
        envelope: dict[str, Any] = {}
        if self._secret:
            ts = int(self._clock())
            sign = feishu_sign(secret=self._secret, timestamp=ts)
            envelope = {"timestamp": str(ts), "sign": sign}

        def encode(post: dict[str, Any]) -> bytes:
            body = {**envelope, "msg_type": "post", "content": {"post": post}}
            return json.dumps(body, ensure_ascii=False).encode("utf-8")

        post = shrink_post(render_post(message), fits=lambda p: len(encode(p)) <= self.max_text)
        return encode(post)

    def send(self, *, message: AlertMessage, thread: ThreadRef | None) -> DeliveryResult:
        """Post the message; a non-zero ``code`` raises DeliveryError."""
        response = post_json(
            client=self._client,
            url=self._url,
            body=self.build_body(message),
            headers={},
            kind=self.kind,
            target=self.name,
            clock=self._clock,
        )
        data = json_body(response, kind=self.kind, target=self.name)
        code = data.get("code", data.get("StatusCode", 0))
        if code != 0:
            text = data.get("msg", data.get("StatusMessage"))
            raise robot_error(self.kind, self.name, code, text, RETRYABLE_CODES)
        return DeliveryResult(channel=self.name)

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()
