"""Acknowledge / Escalate / Resolve from Slack buttons over Socket Mode (no public endpoint).

``run_socket_mode`` connects with the app-level token; each button press calls
``on_action(action, incident_id, slack_user_id)`` (action is "acknowledge", "escalate" or
"resolve") and posts the returned confirmation text in the incident's thread, or as an
ephemeral message to the presser. ``handle_request`` is the whole per-request logic and can be
driven directly with any object offering ``send_socket_mode_response`` and ``web_client``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from alerts.errors import ChannelConfigError
from alerts.render_slack import ACTION_IDS, escape_mrkdwn
from alerts.sanitize import clean_text

log = logging.getLogger(__name__)

ACTIONS_BY_ID: Final[dict[str, str]] = {v: k for k, v in ACTION_IDS.items()}
MAX_INCIDENT_ID: Final = 200
OnAction = Callable[[str, str, str], str]
ReplyMode = Literal["thread", "ephemeral"]


class SocketClientLike(Protocol):
    """The part of SocketModeClient that handle_request uses."""

    web_client: Any

    def send_socket_mode_response(self, response: Any) -> None:
        """Acknowledge an envelope."""


@dataclass
class SocketModeHandle:
    """A running Socket Mode connection; ``close`` disconnects it."""

    client: SocketModeClient

    def close(self) -> None:
        """Disconnect and stop the client's threads."""
        self.client.close()


def handle_request(
    client: SocketClientLike,
    req: SocketModeRequest,
    *,
    on_action: OnAction,
    reply: ReplyMode = "thread",
) -> None:
    """Acknowledge the envelope first (Slack wants it within 3 s), then run our button actions."""
    client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
    payload = req.payload if isinstance(req.payload, dict) else {}
    if req.type != "interactive" or payload.get("type") != "block_actions":
        return
    user_id = str((payload.get("user") or {}).get("id") or "")
    container = payload.get("container") or {}
    channel_id = str((payload.get("channel") or {}).get("id") or container.get("channel_id") or "")
    message = payload.get("message") or {}
    thread_ts = message.get("thread_ts") or message.get("ts") or container.get("message_ts")
    for action in payload.get("actions") or []:
        name = ACTIONS_BY_ID.get(str(action.get("action_id")))
        if name is None:
            continue
        incident_id = clean_text(str(action.get("value") or ""), single_line=True)
        incident_id = incident_id[:MAX_INCIDENT_ID]
        text = _run_action(on_action, name, incident_id, user_id)
        _reply(client.web_client, channel_id, thread_ts, user_id, text, reply)


def _run_action(on_action: OnAction, name: str, incident_id: str, user_id: str) -> str:
    try:
        return on_action(name, incident_id, user_id)
    except Exception as exc:  # noqa: BLE001 - a failing callback must not kill the listener
        log.warning("socket mode: %s of incident %s failed: %s", name, incident_id, exc)
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"Could not {name} incident {incident_id}: {first_line}"


def _reply(
    web: Any, channel_id: str, thread_ts: Any, user_id: str, text: str, mode: ReplyMode
) -> None:
    safe = escape_mrkdwn(text, limit=2000)
    try:
        if mode == "ephemeral" or not thread_ts:
            web.chat_postEphemeral(channel=channel_id, user=user_id, text=safe)
        else:
            web.chat_postMessage(channel=channel_id, thread_ts=str(thread_ts), text=safe)
    except (SlackApiError, SlackClientError, OSError) as exc:
        log.warning("socket mode: could not post confirmation in %s: %s", channel_id, exc)


def run_socket_mode(
    *,
    app_token_env: str,
    bot_token_env: str,
    on_action: OnAction,
    environ: Mapping[str, str],
    base_url: str | None = None,
    reply: ReplyMode = "thread",
) -> SocketModeHandle:
    """Connect to Slack Socket Mode and dispatch button presses to ``on_action``."""
    tokens = {}
    for option, env_name in (("app_token_env", app_token_env), ("bot_token_env", bot_token_env)):
        value = environ.get(env_name, "").strip()
        if not value:
            problem = f"environment variable {env_name} (named by option {option!r}) is not set"
            raise ChannelConfigError("socket_mode", "slack", problem)
        tokens[option] = value
    kwargs: dict[str, Any] = {"token": tokens["bot_token_env"]}
    if base_url is not None:
        kwargs["base_url"] = base_url
    web = WebClient(**kwargs)
    client = SocketModeClient(app_token=tokens["app_token_env"], web_client=web)

    def listener(socket_client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        handle_request(socket_client, req, on_action=on_action, reply=reply)

    client.socket_mode_request_listeners.append(listener)
    client.connect()
    return SocketModeHandle(client)
