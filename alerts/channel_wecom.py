"""WeCom (企业微信) group robot: markdown messages.

Format: POST ``{"msgtype": "markdown", "markdown": {"content": ...}}`` to
``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...``; content at most 4096 UTF-8 bytes.
The answer is ``{"errcode": 0, "errmsg": "ok"}``; any other errcode is a failure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from alerts.channel import ChannelBase, Clock, Options
from alerts.http_post import json_body, make_client, post_json, robot_error
from alerts.message import AlertMessage, DeliveryResult, ThreadRef
from alerts.render_markdown import render_markdown

CONTENT_LIMIT: Final = 4096
# 45009: API frequency limit (20 messages a minute per robot); -1: system busy.
RETRYABLE_CODES: Final[dict[int, float | None]] = {-1: None, 45009: 60.0}


class WeComChannel(ChannelBase):
    """Posts one markdown message per alert (no threads)."""

    kind: ClassVar[str] = "wecom"
    required_options: ClassVar[tuple[str, ...]] = ("url_env",)
    optional_options: ClassVar[tuple[str, ...]] = ("timeout", "max_bytes")

    supports_threads = False

    def __init__(
        self,
        *,
        name: str,
        url: str,
        clock: Clock,
        timeout: float = 10.0,
        max_bytes: int = CONTENT_LIMIT,
    ) -> None:
        self.name = name
        self._url = url
        self._clock = clock
        self.max_text = min(max_bytes, CONTENT_LIMIT)
        self._client = make_client(timeout=timeout)

    @classmethod
    def from_options(
        cls, *, name: str, options: Mapping[str, Any], environ: Mapping[str, str], clock: Clock
    ) -> WeComChannel:
        """Build from ``url_env`` and optional ``timeout``, ``max_bytes``."""
        opts = Options(name=name, kind=cls.kind, values=options, environ=environ)
        return cls(
            name=name,
            url=opts.secret("url_env"),
            clock=clock,
            timeout=opts.number("timeout", 10.0, minimum=0.1),
            max_bytes=opts.integer("max_bytes", CONTENT_LIMIT, minimum=200),
        )

    def build_body(self, message: AlertMessage) -> bytes:
        """The JSON body for ``message`` (exposed for tests and dry runs)."""
        _, text = render_markdown(message, max_bytes=self.max_text)
        body = {"msgtype": "markdown", "markdown": {"content": text}}
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

    def send(self, *, message: AlertMessage, thread: ThreadRef | None) -> DeliveryResult:
        """Post the markdown message; errcode != 0 raises DeliveryError."""
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
        code = data.get("errcode", 0)
        if code != 0:
            raise robot_error(self.kind, self.name, code, data.get("errmsg"), RETRYABLE_CODES)
        return DeliveryResult(channel=self.name)

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()
