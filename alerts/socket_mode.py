"""Acknowledge / Escalate / Resolve / Record response from Slack over Socket Mode (no public
endpoint).

``run_socket_mode`` connects with the app-level token; each button press calls
``on_action(action, incident_id, slack_user_id)`` (action is "acknowledge", "escalate" or
"resolve") and posts the returned confirmation text in the incident's thread, or as an
ephemeral message to the presser. "Record response" first opens a form asking what was
published and where; its submission calls ``on_action("respond", incident_id, user, note)``.
``handle_request`` is the whole per-request logic and can be driven directly with any object
offering ``send_socket_mode_response`` and ``web_client``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
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
RESPONSE_FORM: Final = "cw_response_form"  # the modal's callback_id
RESPONSE_BLOCK, RESPONSE_INPUT = "cw_response", "cw_response_note"
RESPONSE_NOTE_CHARS: Final = 2000
ReplyMode = Literal["thread", "ephemeral"]


class OnAction(Protocol):
    """Carry out ``action`` on an incident for a Slack user; return the confirmation text.
    ``note`` is given for "respond" only (what was published and where)."""

    def __call__(self, action: str, incident_id: str, user_id: str, /,
                 note: str | None = None) -> str: ...


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
    """Acknowledge the envelope first (Slack wants it within 3 s; for a form, that closes it),
    then run our button actions or the submitted response form."""
    client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
    payload = req.payload if isinstance(req.payload, dict) else {}
    if req.type != "interactive":
        return
    user_id = str((payload.get("user") or {}).get("id") or "")
    if payload.get("type") == "view_submission":
        _submit_response(client, payload, user_id, on_action, reply)
        return
    if payload.get("type") != "block_actions":
        return
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
        if name == "respond":
            _open_response_form(client.web_client, payload, incident_id, channel_id, thread_ts,
                                user_id)
            continue
        text = _run_action(on_action, name, incident_id, user_id)
        _reply(client.web_client, channel_id, thread_ts, user_id, text, reply)


def response_form(incident_id: str, *, channel_id: str, thread_ts: str | None) -> dict[str, Any]:
    """The modal asking what was published and where; the thread rides in private_metadata."""
    metadata = json.dumps({"incident": incident_id, "channel": channel_id, "thread": thread_ts})
    return {
        "type": "modal",
        "callback_id": RESPONSE_FORM,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Record a response"},
        "submit": {"type": "plain_text", "text": "Record"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": escape_mrkdwn(
                f"Public response to incident {incident_id}: the first one is timed against "
                "the playbook's time to first response.", limit=500)}},
            {"type": "input", "block_id": RESPONSE_BLOCK,
             "label": {"type": "plain_text", "text": "What was published, and where?"},
             "element": {"type": "plain_text_input", "action_id": RESPONSE_INPUT,
                         "multiline": True, "max_length": RESPONSE_NOTE_CHARS,
                         "placeholder": {"type": "plain_text",
                                         "text": "Holding statement on Weibo: https://..."}}},
        ],
    }


def _open_response_form(web: Any, payload: Mapping[str, Any], incident_id: str, channel_id: str,
                        thread_ts: Any, user_id: str) -> None:
    trigger = str(payload.get("trigger_id") or "")
    try:
        if not trigger:
            raise ValueError("Slack sent no trigger_id")
        web.views_open(trigger_id=trigger, view=response_form(
            incident_id, channel_id=channel_id, thread_ts=str(thread_ts) if thread_ts else None))
    except (SlackApiError, SlackClientError, OSError, ValueError) as exc:
        log.warning("socket mode: could not open the response form: %s", exc)
        _reply(web, channel_id, None, user_id,
               f"Could not open the response form: {exc}; use crisiswatch respond "
               f"{incident_id} --by NAME --note TEXT", "ephemeral")


def _submit_response(client: SocketClientLike, payload: Mapping[str, Any], user_id: str,
                     on_action: OnAction, reply: ReplyMode) -> None:
    view = payload.get("view") or {}
    if view.get("callback_id") != RESPONSE_FORM:
        return
    try:
        meta = json.loads(str(view.get("private_metadata") or "{}"))
    except ValueError:
        meta = {}
    values = ((view.get("state") or {}).get("values") or {}).get(RESPONSE_BLOCK) or {}
    note = str((values.get(RESPONSE_INPUT) or {}).get("value") or "")[:RESPONSE_NOTE_CHARS]
    incident_id = clean_text(str(meta.get("incident") or ""), single_line=True)[:MAX_INCIDENT_ID]
    channel_id, thread_ts = str(meta.get("channel") or ""), meta.get("thread")
    text = _run_action(on_action, "respond", incident_id, user_id, note)
    if channel_id:
        _reply(client.web_client, channel_id, thread_ts, user_id, text, reply)


def _run_action(on_action: OnAction, name: str, incident_id: str, user_id: str,
                note: str | None = None) -> str:
    try:
        if note is not None:
            return on_action(name, incident_id, user_id, note)
        return on_action(name, incident_id, user_id)
    except Exception as exc:  # noqa: BLE001 - a failing callback must not kill the listener
        log.warning("socket mode: %s of incident %s failed: %s", name, incident_id, exc)
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        what = "record a response to" if name == "respond" else name
        return f"Could not {what} incident {incident_id}: {first_line}"


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
