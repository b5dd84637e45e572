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

from alerts.chat_robot import ChatRobotChannel
from alerts.message import AlertMessage
from alerts.render_markdown import render_post, shrink_post

BODY_LIMIT: Final = 20_000
# 11232: frequency limited (100 a minute, 5 a second per bot).
RETRYABLE_CODES: Final[dict[int, float | None]] = {11232: 1.0}


def feishu_sign(*, secret: str, timestamp: int) -> str:
    """The ``sign`` field: HMAC-SHA256 keyed by ``timestamp\\nsecret`` over an empty message."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


class FeishuChannel(ChatRobotChannel):
    """Posts one rich-text message per alert (no threads)."""

    kind: ClassVar[str] = "feishu"
    required_options: ClassVar[tuple[str, ...]] = ("url_env",)
    optional_options: ClassVar[tuple[str, ...]] = ("secret_env", "timeout", "max_bytes")
    size_limit: ClassVar[int] = BODY_LIMIT
    min_size: ClassVar[int] = 1000
    retryable_codes = RETRYABLE_CODES

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

    def read_answer(self, data: Mapping[str, Any]) -> tuple[Any, Any]:
        """``code`` / ``msg``, or the older ``StatusCode`` / ``StatusMessage``."""
        code = data.get("code", data.get("StatusCode", 0))
        return code, data.get("msg", data.get("StatusMessage"))
