"""WeCom (企业微信) group robot: markdown messages.

Format: POST ``{"msgtype": "markdown", "markdown": {"content": ...}}`` to
``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...``; content at most 4096 UTF-8 bytes.
The answer is ``{"errcode": 0, "errmsg": "ok"}``; any other errcode is a failure.
People the alert is for are mentioned by user id as ``<@userid>`` in the markdown; markdown
cannot mention a mobile number, so people known by mobile get a second, short ``text`` message
with ``mentioned_mobile_list``.
"""

from __future__ import annotations

import json
from typing import ClassVar, Final

from alerts.chat_robot import ChatRobotChannel
from alerts.message import AlertMessage
from alerts.outline import headline
from alerts.render_markdown import escape_markdown, render_markdown, robot_mentions

CONTENT_LIMIT: Final = 4096
# 45009: API frequency limit (20 messages a minute per robot); -1: system busy.
RETRYABLE_CODES: Final[dict[int, float | None]] = {-1: None, 45009: 60.0}


class WeComChannel(ChatRobotChannel):
    """Posts one markdown message per alert (no threads)."""

    kind: ClassVar[str] = "wecom"
    required_options: ClassVar[tuple[str, ...]] = ("url_env",)
    optional_options: ClassVar[tuple[str, ...]] = ("timeout", "max_bytes")
    size_limit: ClassVar[int] = CONTENT_LIMIT
    retryable_codes = RETRYABLE_CODES

    def build_body(self, message: AlertMessage) -> bytes:
        """The JSON body for ``message`` (exposed for tests and dry runs)."""
        mentions, _, _ = robot_mentions(message, "wecom")
        _, text = render_markdown(message, max_bytes=self.max_text, mentions=mentions)
        body = {"msgtype": "markdown", "markdown": {"content": text}}
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

    def build_bodies(self, message: AlertMessage) -> list[bytes]:
        """The markdown body, then a text message mentioning people known by mobile number."""
        _, mobiles, _ = robot_mentions(message, "wecom")
        bodies = [self.build_body(message)]
        if mobiles:
            content = f"{escape_markdown(headline(message))} · {message.incident_id[:100]}"
            text = {"content": content, "mentioned_mobile_list": mobiles}
            body = {"msgtype": "text", "text": text}
            bodies.append(json.dumps(body, ensure_ascii=False).encode("utf-8"))
        return bodies
