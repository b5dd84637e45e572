"""What the chat robots (DingTalk, WeCom, Feishu/Lark) share: a webhook URL from ``url_env``, an
optional signing secret from ``secret_env``, a body size limit, one JSON POST per alert and an
answer carrying an error code (0 is success). Each robot's module keeps its payload format, its
signing scheme and where its answer puts the code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from alerts.channel import ChannelBase, Clock, Options
from alerts.errors import DeliveryError
from alerts.http_post import json_body, make_client, post_json, robot_error
from alerts.message import AlertMessage, DeliveryResult, ThreadRef


class ChatRobotChannel(ChannelBase, ABC):
    """One message per alert, posted to a group robot's webhook URL (no threads)."""

    kind: ClassVar[str]
    optional_options: ClassVar[tuple[str, ...]]
    # The robot's documented size limit (the ``max_bytes`` default and ceiling) and the smallest
    # ``max_bytes`` that still leaves room for a message.
    size_limit: ClassVar[int]
    min_size: ClassVar[int] = 200
    # Error codes worth retrying, with the wait the robot's rate limit implies (None: backoff).
    retryable_codes: ClassVar[Mapping[int, float | None]]

    supports_threads = False

    def __init__(
        self,
        *,
        name: str,
        url: str,
        clock: Clock,
        secret: str | None = None,
        timeout: float = 10.0,
        max_bytes: int | None = None,
    ) -> None:
        self.name = name
        self._url = url
        self._secret = secret
        self._clock = clock
        limit = self.size_limit
        self.max_text = limit if max_bytes is None else min(max_bytes, limit)
        self._client = make_client(timeout=timeout)

    @classmethod
    def from_options(
        cls, *, name: str, options: Mapping[str, Any], environ: Mapping[str, str], clock: Clock
    ) -> Self:
        """Build from ``url_env`` and the optional ``secret_env`` (robots that sign),
        ``timeout`` and ``max_bytes``."""
        opts = Options(name=name, kind=cls.kind, values=options, environ=environ)
        signs = "secret_env" in cls.optional_options
        return cls(
            name=name,
            url=opts.secret("url_env"),
            secret=opts.optional_secret("secret_env") if signs else None,
            clock=clock,
            timeout=opts.number("timeout", 10.0, minimum=0.1),
            max_bytes=opts.integer("max_bytes", cls.size_limit, minimum=cls.min_size),
        )

    @abstractmethod
    def build_body(self, message: AlertMessage) -> bytes:
        """The JSON body for ``message``, within ``max_text`` (exposed for tests and dry runs)."""

    def build_bodies(self, message: AlertMessage) -> list[bytes]:
        """Every body to post for ``message``, in order (one, unless a robot needs a second
        message to mention people)."""
        return [self.build_body(message)]

    def build_url(self) -> str:
        """The URL to post to (the configured one; robots that sign in the URL override this)."""
        return self._url

    def build_request(self, message: AlertMessage) -> tuple[str, bytes]:
        """The URL and JSON body for ``message`` (exposed for tests and dry runs)."""
        return self.build_url(), self.build_body(message)

    def read_answer(self, data: Mapping[str, Any]) -> tuple[Any, Any]:
        """The answer's error code and message: ``errcode`` / ``errmsg`` unless overridden."""
        return data.get("errcode", 0), data.get("errmsg")

    def send(self, *, message: AlertMessage, thread: ThreadRef | None) -> DeliveryResult:
        """Post the message; a non-zero error code in the answer raises DeliveryError. A
        failed second body (a mention-only message) is a warning: the alert itself is out."""
        warnings: list[str] = []
        for index, body in enumerate(self.build_bodies(message)):
            try:
                self._post(body)
            except DeliveryError as exc:
                if index == 0:
                    raise
                warnings.append(f"mention message not delivered: {exc}")
        return DeliveryResult(channel=self.name, warnings=tuple(warnings))

    def _post(self, body: bytes) -> None:
        response = post_json(
            client=self._client,
            url=self.build_url(),
            body=body,
            headers={},
            kind=self.kind,
            target=self.name,
            clock=self._clock,
        )
        data = json_body(response, kind=self.kind, target=self.name)
        code, text = self.read_answer(data)
        if code != 0:
            raise robot_error(self.kind, self.name, code, text, self.retryable_codes)

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()
