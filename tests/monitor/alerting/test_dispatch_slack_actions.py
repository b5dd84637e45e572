"""Slack buttons: Socket Mode requests run lifecycle functions in a fresh session, as the
Slack user, and the answer is posted in the incident's thread on the local Slack server."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.socket_mode.request import SocketModeRequest
from sqlalchemy.orm import Session

from alerts.errors import ChannelConfigError
from alerts.socket_mode import handle_request
from alerts.testing import FakeSlackServer
from config.schema import Settings
from monitor.alerting.slack_actions import (
    LifecycleActions,
    make_on_action,
    slack_actor,
    slack_user_namer,
    start_socket_mode,
)
from monitor.db.models import Incident


@dataclass
class FakeLifecycle:
    """Records calls and sets the incident's state the way the real lifecycle would."""

    calls: list[tuple[str, int, str, datetime]] = field(default_factory=list)

    def transition(self, name: str, state: str) -> Any:
        def fn(session: Session, *, incident_id: int, actor: str, now: datetime) -> None:
            self.calls.append((name, incident_id, actor, now))
            incident = session.get(Incident, incident_id)
            if incident is None:
                raise LookupError(f"incident {incident_id} not found")
            incident.state = state
            incident.acknowledged_by = actor
            session.flush()
            if incident.state == "resolved" and incident.resolution_note is None:
                raise ValueError("a resolution needs a note\n(second line hidden)")

        return fn

    def actions(self) -> LifecycleActions:
        return LifecycleActions(
            acknowledge=self.transition("acknowledge", "acknowledged"),
            escalate=self.transition("escalate", "open"),
            resolve=self.transition("resolve", "resolved"),
        )


@dataclass
class SocketClient:
    web_client: Any
    acks: list[Any] = field(default_factory=list)

    def send_socket_mode_response(self, response: Any) -> None:
        self.acks.append(response)


def press(action_id: str, value: str, user: str = "U42") -> SocketModeRequest:
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "channel": {"id": "C0RISK"},
        "message": {"ts": "1700000000.000001"},
        "actions": [{"action_id": action_id, "value": value, "type": "button"}],
    }
    return SocketModeRequest(type="interactive", envelope_id="e1", payload=payload)


def test_button_runs_the_lifecycle_as_the_slack_user(outbox: Any) -> None:
    incident = outbox.incident()
    lifecycle = FakeLifecycle()
    on_action = make_on_action(sessions=outbox.sessions, actions=lifecycle.actions(),
                               clock=outbox.clock)
    with FakeSlackServer(token="xoxb-t") as slack:
        client = SocketClient(WebClient(token="xoxb-t", base_url=slack.base_url))
        handle_request(client, press("cw_ack", str(incident)), on_action=on_action)
        (reply,) = slack.calls("chat.postMessage")
    assert lifecycle.calls == [("acknowledge", incident, "slack:U42", outbox.clock())]
    assert reply.json["thread_ts"] == "1700000000.000001" and reply.json["channel"] == "C0RISK"
    assert reply.json["text"] == f"Incident {incident} acknowledged by slack:U42."
    with outbox.sessions() as session:
        row = session.get(Incident, incident)
        assert row is not None and (row.state, row.acknowledged_by) == ("acknowledged", "slack:U42")


def test_a_failing_transition_is_rolled_back_and_reported(outbox: Any) -> None:
    incident = outbox.incident()
    on_action = make_on_action(sessions=outbox.sessions, actions=FakeLifecycle().actions(),
                               clock=outbox.clock)
    with FakeSlackServer(token="xoxb-t") as slack:
        client = SocketClient(WebClient(token="xoxb-t", base_url=slack.base_url))
        handle_request(client, press("cw_resolve", str(incident)), on_action=on_action)
        handle_request(client, press("cw_escalate", "<!channel>"), on_action=on_action)
        handle_request(client, press("cw_escalate", "999"), on_action=on_action)
        texts = [c.json["text"] for c in slack.calls("chat.postMessage")]
    assert texts[0] == f"Could not resolve incident {incident}: a resolution needs a note"
    assert texts[1] == (
        "Could not escalate incident &lt;!channel&gt;: '&lt;!channel&gt;' is not an incident id"
    )
    assert texts[2] == "Could not escalate incident 999: incident 999 not found"
    with outbox.sessions() as session:
        row = session.get(Incident, incident)
        assert row is not None and row.state == "open" and row.acknowledged_by is None


def test_user_names_come_from_an_injected_lookup() -> None:
    class Web:
        calls = 0

        def users_info(self, *, user: str) -> dict[str, Any]:
            Web.calls += 1
            if user == "U1":
                return {"user": {"name": "ali", "profile": {"display_name": "Ali <!here>"}}}
            raise OSError("network down")

    actor_for = slack_user_namer(Web())
    assert actor_for("U1") == "slack:U1 (Ali <!here>)"
    assert actor_for("U1") == "slack:U1 (Ali <!here>)" and Web.calls == 1
    assert actor_for("U2") == "slack:U2"
    assert slack_actor("U\u202e9\n") == "slack:U9"


def settings(channels: dict[str, Any], app_token_env: str | None) -> Settings:
    return Settings.model_validate({
        "organisation": {"name": "Acme"},
        "entities": [{"id": "acme", "name": "Acme", "kind": "brand"}],
        "channels": channels,
        "alerting": {"slack_app_token_env": app_token_env},
    })


def test_start_socket_mode_uses_the_bot_channel_settings() -> None:
    calls: list[dict[str, Any]] = []
    handle: Any = object()

    def runner(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return handle

    def on_action(action: str, incident_id: str, user: str) -> str:
        return "ok"

    assert start_socket_mode(settings({}, None), on_action, runner=runner) is None
    with pytest.raises(ChannelConfigError, match="no enabled slack channel is in bot mode"):
        start_socket_mode(settings({"hook": {"kind": "slack", "mode": "webhook",
                                             "webhook_url_env": "H"}}, "APP"),
                          on_action, runner=runner)
    config = settings({"off": {"kind": "slack", "channel": "#a", "enabled": False},
                       "bot": {"kind": "slack", "channel": "#b", "token_env": "BOT",
                               "base_url": "http://127.0.0.1:1/api/"}}, "APP")
    env = {"APP": "xapp-1", "BOT": "xoxb-1"}
    assert start_socket_mode(config, on_action, environ=env, runner=runner) is handle
    assert calls == [{"app_token_env": "APP", "bot_token_env": "BOT", "on_action": on_action,
                      "environ": env, "base_url": "http://127.0.0.1:1/api/"}]


def test_acknowledge_button_end_to_end_with_the_real_lifecycle(
    outbox: Any, slack: FakeSlackServer, slack_channel: Any
) -> None:
    """Root posted -> button pressed -> lifecycle queues "acknowledged" -> thread reply and
    the root updated without the Acknowledge button."""
    from monitor.alerting.dispatch import DispatchPolicy, dispatch_once
    from monitor.incidents.testing import make_context
    from monitor.service.slack import incident_lifecycle_actions

    incident = outbox.incident()
    outbox.enqueue(incident, "opened", channels=("risk-slack",))
    channels = {"risk-slack": slack_channel(slack, name="risk-slack")}
    policy = DispatchPolicy()
    dispatch_once(sessions=outbox.sessions, channels=channels, policy=policy, clock=outbox.clock)
    root = slack.messages[0]
    assert any(b["type"] == "actions" for b in root["blocks"])

    ctx = make_context(clock=outbox.clock)
    on_action = make_on_action(sessions=outbox.sessions, actions=incident_lifecycle_actions(ctx),
                               clock=outbox.clock)
    outbox.clock.advance(30)
    client = SocketClient(WebClient(token="xoxb-test-token", base_url=slack.base_url))
    handle_request(client, press("cw_ack", str(incident), user="U7"), on_action=on_action)
    confirmation = slack.calls("chat.postMessage")[-1].json
    assert confirmation["text"] == f"Incident {incident} acknowledged by slack:U7."
    with outbox.sessions() as session:
        row = session.get(Incident, incident)
        assert row is not None and (row.state, row.acknowledged_by) == ("acknowledged", "slack:U7")

    assert dispatch_once(sessions=outbox.sessions, channels=channels, policy=policy,
                         clock=outbox.clock).sent == 1
    reply = slack.calls("chat.postMessage")[-1].json
    assert reply["metadata"]["event_payload"]["event"] == "acknowledged"
    assert reply["thread_ts"] == root["ts"]
    updated = slack.messages[0]["blocks"]
    (actions,) = [b for b in updated if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == ["cw_escalate", "cw_respond",
                                                             "cw_resolve"]

    # Record response: the button opens a form; its submission records the first response
    form_press = press("cw_respond", str(incident), user="U8")
    form_press.payload["trigger_id"] = "trigger-8"
    handle_request(client, form_press, on_action=on_action)
    (opened,) = slack.calls("views.open")
    view = opened.json["view"]
    values = {"cw_response": {"cw_response_note": {"value": "Statement on Weibo: https://w/1"}}}
    submitted = SocketModeRequest(type="interactive", envelope_id="e9", payload={
        "type": "view_submission", "user": {"id": "U8"},
        "view": {**view, "state": {"values": values}}})
    outbox.clock.advance(60)
    handle_request(client, submitted, on_action=on_action)
    confirmation = slack.calls("chat.postMessage")[-1].json
    assert confirmation["text"] == f"Public response to incident {incident} recorded by slack:U8."
    assert confirmation["thread_ts"] == root["ts"]
    with outbox.sessions() as session:
        row = session.get(Incident, incident)
        assert row is not None and (row.responded_by, row.state) == ("slack:U8", "acknowledged")
        assert row.responded_at == outbox.clock()
    assert dispatch_once(sessions=outbox.sessions, channels=channels, policy=policy,
                         clock=outbox.clock).sent == 1
    reply = slack.calls("chat.postMessage")[-1].json
    assert reply["metadata"]["event_payload"]["event"] == "responded"
    assert reply["thread_ts"] == root["ts"]
