"""DingTalk (钉钉) custom group robot: markdown messages, optional signing.

Format: POST ``{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}`` to the robot
URL (``https://oapi.dingtalk.com/robot/send?access_token=...``). With signing ("加签"), append
``&timestamp=<ms>&sign=<urlencode(base64(HmacSHA256(key=secret, timestamp + "\\n" + secret)))>``.
The answer is ``{"errcode": 0, "errmsg": "ok"}``; any other errcode is a failure.
People the alert is for are mentioned with ``"at": {"atMobiles": [...], "atUserIds": [...]}``
and ``@mobile`` / ``@userid`` in the text (the robot only notifies those named in both).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import ClassVar, Final
from urllib.parse import quote_plus

from alerts.chat_robot import ChatRobotChannel
from alerts.message import AlertMessage
from alerts.render_markdown import render_markdown, robot_mentions

CONTENT_LIMIT: Final = 20_000
# Rate limiting (20 messages a minute per robot) and "system busy": worth retrying later.
RETRYABLE_CODES: Final[dict[int, float | None]] = {-1: None, 130101: 60.0, 410100: 60.0}


def dingtalk_sign(*, secret: str, timestamp_ms: int) -> str:
    """The URL-encoded ``sign`` parameter for a signed robot."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


class DingTalkChannel(ChatRobotChannel):
    """Posts one markdown message per alert (no threads)."""

    kind: ClassVar[str] = "dingtalk"
    required_options: ClassVar[tuple[str, ...]] = ("url_env",)
    optional_options: ClassVar[tuple[str, ...]] = ("secret_env", "timeout", "max_bytes")
    size_limit: ClassVar[int] = CONTENT_LIMIT
    retryable_codes = RETRYABLE_CODES

    def build_url(self) -> str:
        """The robot URL, with ``timestamp`` and ``sign`` appended when a secret is set."""
        if not self._secret:
            return self._url
        ts = int(self._clock() * 1000)
        sep = "&" if "?" in self._url else "?"
        sign = dingtalk_sign(secret=self._secret, timestamp_ms=ts)
        return f"{self._url}{sep}timestamp={ts}&sign={sign}"

    def build_body(self, message: AlertMessage) -> bytes:
        """The markdown message (title cut to 100 characters) as JSON."""
        mentions, mobiles, users = robot_mentions(message, "dingtalk")
        title, text = render_markdown(
            message, max_bytes=self.max_text, line_break="\n\n", mentions=mentions
        )
        body: dict[str, object] = {
            "msgtype": "markdown",
            "markdown": {"title": title[:100], "text": text},
        }
        if mobiles or users:
            body["at"] = {"atMobiles": mobiles, "atUserIds": users, "isAtAll": False}
        return json.dumps(body, ensure_ascii=False).encode("utf-8")
