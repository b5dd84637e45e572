"""DingTalk (钉钉) custom group robot: markdown messages, optional signing.

Format: POST ``{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}`` to the robot
URL (``https://oapi.dingtalk.com/robot/send?access_token=...``). With signing ("加签"), append
``&timestamp=<ms>&sign=<urlencode(base64(HmacSHA256(key=secret, timestamp + "\\n" + secret)))>``.
The answer is ``{"errcode": 0, "errmsg": "ok"}``; any other errcode is a failure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, ClassVar, Final
from urllib.parse import quote_plus

from alerts.channel import ChannelBase, Clock, Options
from alerts.http_post import json_body, make_client, post_json, robot_error
from alerts.message import AlertMessage, DeliveryResult, ThreadRef
from alerts.render_markdown import render_markdown

CONTENT_LIMIT: Final = 20_000
# Rate limiting (20 messages a minute per robot) and "system busy": worth retrying later.
RETRYABLE_CODES: Final[dict[int, float | None]] = {-1: None, 130101: 60.0, 410100: 60.0}


def dingtalk_sign(*, secret: str, timestamp_ms: int) -> str:
    """The URL-encoded ``sign`` parameter for a signed robot."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


class DingTalkChannel(ChannelBase):
    """Posts one markdown message per alert (no threads)."""

    kind: ClassVar[str] = "dingtalk"
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
        max_bytes: int = CONTENT_LIMIT,
    ) -> None:
        self.name = name
        self._url = url
        self._secret = secret
        self._clock = clock
        self.max_text = min(max_bytes, CONTENT_LIMIT)
        self._client = make_client(timeout=timeout)

    @classmethod
    def from_options(
        cls, *, name: str, options: Mapping[str, Any], environ: Mapping[str, str], clock: Clock
    ) -> DingTalkChannel:
        """Build from ``url_env`` and optional ``secret_env``, ``timeout``, ``max_bytes``."""
        opts = Options(name=name, kind=cls.kind, values=options, environ=environ)
        return cls(
            name=name,
            url=opts.secret("url_env"),
            secret=opts.optional_secret("secret_env"),
            clock=clock,
            timeout=opts.number("timeout", 10.0, minimum=0.1),
            max_bytes=opts.integer("max_bytes", CONTENT_LIMIT, minimum=200),
        )

    def build_request(self, message: AlertMessage) -> tuple[str, bytes]:
        """The signed URL and JSON body for ``message`` (exposed for tests and dry runs)."""
        title, text = render_markdown(message, max_bytes=self.max_text, line_break="\n\n")
        body = {"msgtype": "markdown", "markdown": {"title": title[:100], "text": text}}
        url = self._url
        if self._secret:
            ts = int(self._clock() * 1000)
            sep = "&" if "?" in url else "?"
            sign = dingtalk_sign(secret=self._secret, timestamp_ms=ts)
            url = f"{url}{sep}timestamp={ts}&sign={sign}"
        return url, json.dumps(body, ensure_ascii=False).encode("utf-8")

    def send(self, *, message: AlertMessage, thread: ThreadRef | None) -> DeliveryResult:
        """Post the markdown message; errcode != 0 raises DeliveryError."""
        url, body = self.build_request(message)
        response = post_json(
            client=self._client,
            url=url,
            body=body,
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
