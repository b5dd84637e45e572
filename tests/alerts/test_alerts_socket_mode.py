"""Socket Mode button handling, driven directly with a fake client (no network)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from alerts.errors import ChannelConfigError
from alerts.socket_mode import handle_request, run_socket_mode


@dataclass
class FakeWeb:
    posted: list[dict[str, Any]] = field(default_factory=list)
    ephemeral: list[dict[str, Any]] = field(default_factory=list)
    views: list[dict[str, Any]] = field(default_factory=list)

    def chat_postMessage(self, **kwargs: Any) -> dict[str, Any]:  # noqa: N802 - slack-sdk name
        self.posted.append(kwargs)
        return {"ok": True}

    def chat_postEphemeral(self, **kwargs: Any) -> dict[str, Any]:  # noqa: N802
        self.ephemeral.append(kwargs)
        return {"ok": True}

    def views_open(self, **kwargs: Any) -> dict[str, Any]:
        self.views.append(kwargs)
        return {"ok": True}


@dataclass
class FakeSocketClient:
    web_client: FakeWeb = field(default_factory=FakeWeb)
    acks: list[SocketModeResponse] = field(default_factory=list)

    def send_socket_mode_response(self, response: Any) -> None:
        self.acks.append(response)


def block_actions(action_id: str, value: str = "inc-0007") -> SocketModeRequest:
    payload = {
        "type": "block_actions",
        "user": {"id": "U42", "username": "alice"},
        "channel": {"id": "C0RISK"},
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": "C0RISK"},
        "message": {"ts": "1700000000.000001"},
        "actions": [{"action_id": action_id, "value": value, "type": "button"}],
    }
    return SocketModeRequest(type="interactive", envelope_id="env-1", payload=payload)


@pytest.mark.parametrize(
    ("action_id", "action"),
    [("cw_ack", "acknowledge"), ("cw_escalate", "escalate"), ("cw_resolve", "resolve")],
)
def test_button_calls_lifecycle_and_confirms_in_thread(action_id: str, action: str) -> None:
    calls: list[tuple[str, str, str]] = []

    def on_action(name: str, incident_id: str, user: str) -> str:
        calls.append((name, incident_id, user))
        return f"{name}d by <@{user}> <!channel>"

    client = FakeSocketClient()
    handle_request(client, block_actions(action_id), on_action=on_action)
    assert [a.envelope_id for a in client.acks] == ["env-1"]
    assert calls == [(action, "inc-0007", "U42")]
    (post,) = client.web_client.posted
    assert post["channel"] == "C0RISK" and post["thread_ts"] == "1700000000.000001"
    assert "<!channel>" not in post["text"] and "&lt;!channel&gt;" in post["text"]


def test_ephemeral_reply_mode() -> None:
    client = FakeSocketClient()
    handle_request(client, block_actions("cw_ack"), on_action=lambda *a: "ok", reply="ephemeral")
    assert client.web_client.ephemeral == [{"channel": "C0RISK", "user": "U42", "text": "ok"}]


def test_failing_callback_is_reported_not_raised() -> None:
    def on_action(name: str, incident_id: str, user: str) -> str:
        raise LookupError("incident inc-0007 is already resolved\nsecond line")

    client = FakeSocketClient()
    handle_request(client, block_actions("cw_resolve"), on_action=on_action)
    (post,) = client.web_client.posted
    assert (
        post["text"] == "Could not resolve incident inc-0007: incident inc-0007 is already resolved"
    )


def recording(calls: list[tuple[str, str, str]], answer: str = "ok") -> Any:
    def on_action(name: str, incident_id: str, user: str) -> str:
        calls.append((name, incident_id, user))
        return answer

    return on_action


def test_other_envelopes_are_acknowledged_and_ignored() -> None:
    calls: list[tuple[str, str, str]] = []
    client = FakeSocketClient()
    handle_request(client, block_actions("someone_elses_button"), on_action=recording(calls))
    events = SocketModeRequest(type="events_api", envelope_id="env-2", payload={"event": {}})
    handle_request(client, events, on_action=recording(calls))
    assert [a.envelope_id for a in client.acks] == ["env-1", "env-2"]
    assert calls == [] and client.web_client.posted == []


def test_hostile_button_value_is_cleaned_and_capped() -> None:
    calls: list[tuple[str, str, str]] = []
    client = FakeSocketClient()
    handle_request(
        client,
        block_actions("cw_ack", value="inc-1\u202e\n" + "x" * 500),
        on_action=recording(calls),
    )
    ((_, seen, _),) = calls
    assert len(seen) == 200 and "\u202e" not in seen and "\n" not in seen


def submission(view: dict[str, Any], note: str) -> SocketModeRequest:
    submitted = {**view, "state": {"values": {
        "cw_response": {"cw_response_note": {"type": "plain_text_input", "value": note}}}}}
    payload = {"type": "view_submission", "user": {"id": "U77"}, "view": submitted}
    return SocketModeRequest(type="interactive", envelope_id="env-3", payload=payload)


def test_record_response_opens_a_form_and_its_submission_is_recorded_in_the_thread() -> None:
    calls: list[tuple[Any, ...]] = []

    def on_action(name: str, incident_id: str, user: str, note: str | None = None) -> str:
        calls.append((name, incident_id, user, note))
        return f"Public response to incident {incident_id} recorded by {user}."

    client = FakeSocketClient()
    press = block_actions("cw_respond", value="12@drill-1")
    press.payload["trigger_id"] = "trig-1"
    handle_request(client, press, on_action=on_action)
    assert calls == [] and client.web_client.posted == []  # nothing recorded before the form
    (opened,) = client.web_client.views
    assert opened["trigger_id"] == "trig-1"
    view = opened["view"]
    assert view["callback_id"] == "cw_response_form" and "incident 12@drill-1" in str(view)
    handle_request(client, submission(view, "Holding statement on Weibo <!channel>"),
                   on_action=on_action)
    assert calls == [("respond", "12@drill-1", "U77", "Holding statement on Weibo <!channel>")]
    (post,) = client.web_client.posted
    assert post["channel"] == "C0RISK" and post["thread_ts"] == "1700000000.000001"
    assert post["text"] == "Public response to incident 12@drill-1 recorded by U77."
    assert [a.envelope_id for a in client.acks] == ["env-1", "env-3"]  # the ack closes the form


def test_a_response_form_that_cannot_open_says_so_privately() -> None:
    calls: list[tuple[str, str, str]] = []
    client = FakeSocketClient()
    handle_request(client, block_actions("cw_respond"), on_action=recording(calls))
    (note,) = client.web_client.ephemeral
    assert note["user"] == "U42" and note["text"].startswith(
        "Could not open the response form: Slack sent no trigger_id; use crisiswatch respond "
        "inc-0007")
    assert calls == [] and client.web_client.views == []


def test_other_forms_are_ignored_and_a_failed_response_is_reported() -> None:
    client = FakeSocketClient()
    other = submission({"callback_id": "someone_elses_form"}, "x")
    handle_request(client, other, on_action=recording([]))
    assert client.web_client.posted == []

    def refuse(name: str, incident_id: str, user: str, note: str | None = None) -> str:
        raise LookupError("cannot record a response for incident #3: it is false_positive")

    form = {"callback_id": "cw_response_form",
            "private_metadata": '{"incident": "3", "channel": "C0RISK", "thread": "1.2"}'}
    handle_request(client, submission(form, "posted"), on_action=refuse)
    (post,) = client.web_client.posted
    assert post["text"] == ("Could not record a response to incident 3: cannot record a "
                            "response for incident #3: it is false_positive")


def test_run_socket_mode_needs_both_tokens() -> None:
    with pytest.raises(ChannelConfigError) as info:
        run_socket_mode(
            app_token_env="SLACK_APP_TOKEN",
            bot_token_env="SLACK_BOT_TOKEN",
            on_action=lambda *a: "",
            environ={"SLACK_BOT_TOKEN": "xoxb-secret"},
        )
    assert "SLACK_APP_TOKEN" in str(info.value) and "xoxb-secret" not in str(info.value)
