"""Local test servers (public test helpers): a Slack-compatible Web API and a webhook recorder.

Both listen on 127.0.0.1 on a free port, record every request and can be told how to answer
the next requests (rate limits, errors, slow answers)::

    with FakeSlackServer() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        slack.program("chat.postMessage", FakeResponse.ratelimited(retry_after=3))
        ...
        assert slack.calls("chat.postMessage")[0].json["channel"] == "#risk-alerts"

FakeSlackServer answers chat.postMessage, chat.update, chat.postEphemeral, auth.test,
files.getUploadURLExternal + the upload URL + files.completeUploadExternal (what
``WebClient.files_upload_v2`` calls) and incoming webhooks (``/services/...``). It also checks
Block Kit limits (50 blocks, header 150, section 3000, ...) and answers ``invalid_blocks``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from typing import Any

from alerts.testing_http import FakeResponse, RecordedRequest, RecordingServer, WebhookRecorder

__all__ = [
    "FakeResponse",
    "FakeSlackServer",
    "RecordedRequest",
    "RecordingServer",
    "WebhookRecorder",
]


class FakeSlackServer(RecordingServer):
    """A Slack Web API stand-in; see the module docstring. Programs are keyed by API method
    (``"chat.postMessage"``) or ``"webhook"`` for incoming webhooks."""

    def __init__(self, *, token: str | None = None, channels: Mapping[str, str] | None = None):
        super().__init__()
        self.token = token
        self.channels = dict(channels) if channels is not None else None
        self.messages: list[dict[str, Any]] = []
        self.uploads: dict[str, bytes] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        """The ``base_url`` for ``WebClient`` (ends with /api/)."""
        return self.url + "/api/"

    def webhook_url(self, path: str = "T000/B000/XXXX") -> str:
        """An incoming-webhook URL served by this server."""
        return f"{self.url}/services/{path}"

    def calls(self, api_method: str) -> list[RecordedRequest]:
        """Recorded requests for one API method, e.g. ``"chat.update"``."""
        return [r for r in self.requests if r.api_method == api_method]

    def route_key(self, method: str, path: str) -> str | None:
        """API method name, ``"webhook"`` or ``"upload"``."""
        if path.startswith("/api/"):
            return path[len("/api/") :]
        if path.startswith("/services/"):
            return "webhook"
        if path.startswith("/upload/"):
            return "upload"
        return None

    def answer(self, request: RecordedRequest) -> FakeResponse:
        """Slack-like behaviour per method."""
        key = self.route_key(request.method, request.path)
        if key == "webhook":
            payload = request.json if isinstance(request.json, dict) else {}
            problem = _check_blocks(payload.get("blocks"))
            return FakeResponse(400, "invalid_blocks") if problem else FakeResponse(200, "ok")
        if key == "upload":
            self.uploads[request.path.rsplit("/", 1)[-1]] = request.body
            return FakeResponse(200, f"OK - {len(request.body)}")
        if self.token is not None and request.header("Authorization") != f"Bearer {self.token}":
            return FakeResponse.error("invalid_auth")
        handler = self._methods().get(key or "")
        if handler is None:
            return FakeResponse(404, {"ok": False, "error": "unknown_method"})
        return FakeResponse(200, handler(request.params))

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "auth.test": lambda p: {
                "ok": True,
                "url": "https://crisiswatch-test.slack.com/",
                "team": "crisiswatch-test",
                "user": "crisiswatch",
                "team_id": "T000",
                "user_id": "U000BOT",
                "bot_id": "B000",
            },
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._ephemeral,
            "views.open": lambda p: {"ok": True, "view": {"id": "V000", **(p.get("view") or {})}},
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "users.info": lambda p: {
                "ok": True,
                "user": {"id": p.get("user"), "name": f"user-{p.get('user')}",
                         "profile": {"display_name": f"User {p.get('user')}"}},
            },
        }

    def _channel_id(self, raw: Any) -> str | None:
        """Resolve "#name" or an ID; with ``channels`` given, unknown ones are not found."""
        name = str(raw or "")
        if not name:
            return None
        if self.channels is not None:
            return name if name in self.channels.values() else self.channels.get(name)
        if not name.startswith("#"):
            return name
        return "C" + ("".join(ch for ch in name.upper() if ch.isalnum())[:10] or "X")

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _post_message(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_id(p.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        text, blocks = p.get("text"), p.get("blocks")
        if not text and not blocks:
            return {"ok": False, "error": "no_text"}
        if text and len(str(text)) > 40_000:
            return {"ok": False, "error": "msg_too_long"}
        problem = _check_blocks(blocks)
        if problem:
            return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
        ts = self._next_ts()
        message = {"channel": channel, "ts": ts, "text": text, "blocks": blocks}
        if p.get("thread_ts"):
            message["thread_ts"] = p["thread_ts"]
        with self._lock:
            self.messages.append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _update(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(p.get("channel") or ""), str(p.get("ts") or "")
        problem = _check_blocks(p.get("blocks"))
        if problem:
            return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
        with self._lock:
            for message in self.messages:
                if message["channel"] == channel and message["ts"] == ts:
                    message.update(text=p.get("text"), blocks=p.get("blocks"))
                    return {"ok": True, "channel": channel, "ts": ts, "text": p.get("text")}
        return {"ok": False, "error": "message_not_found"}

    def _ephemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        if self._channel_id(p.get("channel")) is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _upload_url(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("filename") or not str(p.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, p: dict[str, Any]) -> dict[str, Any]:
        files = p.get("files")
        try:
            entries = json.loads(files) if isinstance(files, str) else files
        except ValueError:
            entries = None
        if not isinstance(entries, list) or not entries:
            return {"ok": False, "error": "invalid_arguments"}
        for entry in entries:
            if entry.get("id") not in self.uploads:
                return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "files": [{"id": e["id"], "title": e.get("title")} for e in entries]}


_BLOCK_TEXT_LIMITS = {"header": 150, "section": 3000}


def _check_blocks(blocks: Any) -> str | None:
    """Slack's Block Kit limits, as a problem string or None."""
    if blocks is None:
        return None
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return "blocks is not JSON"
    if not isinstance(blocks, list) or len(blocks) > 50:
        return "more than 50 blocks"
    for index, block in enumerate(blocks):
        kind = block.get("type") if isinstance(block, dict) else None
        limit = _BLOCK_TEXT_LIMITS.get(str(kind))
        text = (block.get("text") or {}).get("text", "") if limit else ""
        if limit and len(text) > limit:
            return f"blocks[{index}].text longer than {limit}"
        if kind == "context" and len(block.get("elements", [])) > 10:
            return f"blocks[{index}] has more than 10 elements"
        for element in block.get("elements", []) if kind == "actions" else []:
            if len(element.get("text", {}).get("text", "")) > 75:
                return f"blocks[{index}] button text longer than 75"
            if len(element.get("value", "")) > 2000:
                return f"blocks[{index}] button value longer than 2000"
    return None
