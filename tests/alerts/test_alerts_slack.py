"""Slack channel against the local Slack-compatible server (no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk import WebClient

from alerts.channel_slack import SlackChannel
from alerts.errors import DeliveryError
from alerts.message import AlertMessage, ThreadRef
from alerts.registry import build_channel
from alerts.sanitize import TRUNCATION_MARKER
from alerts.slack_errors import BoundedRateLimitRetryHandler
from alerts.testing import FakeResponse, FakeSlackServer

MessageFactory = Callable[..., AlertMessage]
ENV = {"SLACK_BOT_TOKEN": "xoxb-test-token"}


def bot(server: FakeSlackServer, **options: Any) -> SlackChannel:
    opts: dict[str, Any] = {"channel": "#risk-alerts", "base_url": server.base_url}
    opts.update(options)
    channel = build_channel(name="risk-slack", kind="slack", options=opts, environ=ENV)
    assert isinstance(channel, SlackChannel)
    return channel


def test_root_message_posted_with_blocks(
    slack_server: FakeSlackServer, message_factory: MessageFactory
) -> None:
    result = bot(slack_server).send(message=message_factory(), thread=None)
    (call,) = slack_server.calls("chat.postMessage")
    body = call.json
    assert call.header("Authorization") == "Bearer xoxb-test-token"
    assert body["channel"] == "#risk-alerts"
    assert body["unfurl_links"] is False and body["link_names"] is False
    assert body["metadata"]["event_payload"]["incident_id"] == "inc-0007"
    assert body["blocks"][0]["type"] == "header"
    assert result.remote_id == result.thread_id == "1700000000.000001"
    assert result.conversation == "CRISKALERTS"
    assert result.thread == ThreadRef("1700000000.000001", "CRISKALERTS")


def test_hostile_text_arrives_escaped_and_truncated(
    slack_server: FakeSlackServer, hostile_factory: MessageFactory
) -> None:
    huge = "<!channel> " + "y" * 10_240
    message = hostile_factory(note=huge)
    bot(slack_server).send(message=message, thread=None)
    (call,) = slack_server.calls("chat.postMessage")
    raw = call.body.decode("utf-8")
    received = json.dumps(call.json, ensure_ascii=False)
    for bad in ("<!channel>", "<@U123>", "<https://evil", "\\u202e", "\u202e", "\\u0007"):
        assert bad not in raw and bad not in received
    assert "&amp;lt;" in received and "&lt;!channel&gt;" in received
    sections = [b["text"]["text"] for b in call.json["blocks"] if b["type"] == "section"]
    assert all(len(s) <= 3000 for s in sections)
    assert any(s.endswith(TRUNCATION_MARKER) and "yyyy" in s for s in sections)
    assert len(call.json["blocks"][0]["text"]["text"]) <= 150


def test_thread_reply_then_root_update(
    slack_server: FakeSlackServer, message_factory: MessageFactory
) -> None:
    channel = bot(slack_server)
    first = channel.send(message=message_factory(), thread=None)
    assert first.thread is not None
    ack = message_factory(event="acknowledged", status="acknowledged", note="by <@U999> alice")
    second = channel.send(message=ack, thread=first.thread)
    posts = slack_server.calls("chat.postMessage")
    assert [p.json.get("thread_ts") for p in posts] == [None, first.thread_id]
    assert posts[1].json["channel"] == "CRISKALERTS"
    assert posts[1].json["reply_broadcast"] is False
    (update,) = slack_server.calls("chat.update")
    assert update.json["ts"] == first.thread_id and update.json["channel"] == "CRISKALERTS"
    status = update.json["blocks"][1]["text"]["text"]
    assert "*Status:* acknowledged" in status
    buttons = [e["action_id"] for e in update.json["blocks"][-1]["elements"]]
    assert buttons == ["cw_escalate", "cw_respond", "cw_resolve"]
    assert "&lt;@U999&gt;" in json.dumps(posts[1].json)
    assert second.thread_id == first.thread_id and second.remote_id == "1700000000.000002"
    assert second.warnings == ()
    order = [r.api_method for r in slack_server.requests]
    assert order == ["chat.postMessage", "chat.postMessage", "chat.update"]


def test_escalation_is_broadcast_to_the_channel(
    slack_server: FakeSlackServer, message_factory: MessageFactory
) -> None:
    channel = bot(slack_server)
    root = channel.send(message=message_factory(), thread=None)
    channel.send(message=message_factory(event="escalated", escalation_level=1), thread=root.thread)
    assert slack_server.calls("chat.postMessage")[1].json["reply_broadcast"] is True


def test_failed_root_update_is_a_warning_not_a_retry(
    slack_server: FakeSlackServer, message_factory: MessageFactory
) -> None:
    channel = bot(slack_server)
    root = channel.send(message=message_factory(), thread=None)
    slack_server.program("chat.update", FakeResponse.error("cant_update_message"))
    result = channel.send(message=message_factory(event="evidence"), thread=root.thread)
    assert result.remote_id is not None
    assert result.warnings and "cant_update_message" in result.warnings[0]


def test_ratelimited_surfaces_retry_after(
    slack_server: FakeSlackServer, message_factory: MessageFactory
) -> None:
    # Retry-After 30 s is longer than max_inline_wait: no sleeping inside the call.
    slack_server.program("chat.postMessage", FakeResponse.ratelimited(retry_after=30))
    with pytest.raises(DeliveryError) as info:
        bot(slack_server).send(message=message_factory(), thread=None)
    error = info.value
    assert error.retryable is True and error.retry_after == 30.0
    assert str(error) == "slack: ratelimited for #risk-alerts (retryable, retry after 30s)"
    assert len(slack_server.calls("chat.postMessage")) == 1


def test_short_retry_after_is_waited_out_inline(
    slack_server: FakeSlackServer, message_factory: MessageFactory
) -> None:
    slept: list[float] = []
    channel = bot(slack_server)
    client = channel._client
    assert client is not None
    client.retry_handlers = [
        h for h in client.retry_handlers if not isinstance(h, BoundedRateLimitRetryHandler)
    ] + [BoundedRateLimitRetryHandler(max_retry_count=1, max_wait=5, sleep=slept.append)]
    slack_server.program("chat.postMessage", FakeResponse.ratelimited(retry_after=2))
    result = channel.send(message=message_factory(), thread=None)
    assert slept == [2.0]
    assert len(slack_server.calls("chat.postMessage")) == 2
    assert result.remote_id is not None


def test_channel_not_found_is_not_retryable(
    message_factory: MessageFactory,
) -> None:
    server = FakeSlackServer(token="xoxb-test-token", channels={"#general": "C0GEN"})
    with server, pytest.raises(DeliveryError) as info:
        bot(server).send(message=message_factory(), thread=None)
    assert info.value.retryable is False
    assert str(info.value) == "slack: channel_not_found for #risk-alerts (not retryable)"


@pytest.mark.parametrize(
    "error", ["not_in_channel", "invalid_auth", "msg_too_long", "is_archived", "token_revoked"]
)
def test_named_errors_not_retryable(
    slack_server: FakeSlackServer, message_factory: MessageFactory, error: str
) -> None:
    slack_server.program("chat.postMessage", FakeResponse.error(error))
    with pytest.raises(DeliveryError) as info:
        bot(slack_server).send(message=message_factory(), thread=None)
    assert info.value.retryable is False and info.value.reason == error


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (FakeResponse.error("some_error_slack_adds_later"), "some_error_slack_adds_later"),
        (FakeResponse.error("internal_error"), "internal_error"),
        (FakeResponse(408, "request timeout"), "HTTP 408"),
    ],
)
def test_errors_not_known_to_be_permanent_are_retryable(
    slack_server: FakeSlackServer, message_factory: MessageFactory, answer: FakeResponse,
    reason: str,
) -> None:
    slack_server.program("chat.postMessage", answer)
    with pytest.raises(DeliveryError) as info:
        bot(slack_server).send(message=message_factory(), thread=None)
    assert info.value.retryable is True and info.value.reason == reason


def test_a_bare_client_error_status_is_permanent(
    slack_server: FakeSlackServer, message_factory: MessageFactory
) -> None:
    slack_server.program("chat.postMessage", FakeResponse(403, "forbidden by proxy"))
    with pytest.raises(DeliveryError) as info:
        bot(slack_server).send(message=message_factory(), thread=None)
    assert info.value.retryable is False and info.value.reason == "HTTP 403"


def test_wrong_token_is_invalid_auth(
    slack_server: FakeSlackServer, message_factory: MessageFactory
) -> None:
    channel = build_channel(
        name="s",
        kind="slack",
        options={"channel": "#x", "base_url": slack_server.base_url, "token_env": "OTHER"},
        environ={"OTHER": "xoxb-wrong"},
    )
    with pytest.raises(DeliveryError, match="invalid_auth") as info:
        channel.send(message=message_factory(), thread=None)
    assert "xoxb-wrong" not in str(info.value)


def test_server_error_is_retryable(
    slack_server: FakeSlackServer, message_factory: MessageFactory
) -> None:
    slack_server.program("chat.postMessage", FakeResponse.server_error(503))
    with pytest.raises(DeliveryError) as info:
        bot(slack_server).send(message=message_factory(), thread=None)
    assert info.value.retryable is True and info.value.reason.startswith("HTTP 503")


def test_slow_answer_times_out_as_retryable(
    slack_server: FakeSlackServer, message_factory: MessageFactory
) -> None:
    channel = bot(slack_server, timeout=1)
    client = channel._client
    assert client is not None
    client.retry_handlers = []  # no connection retry: one slow answer is enough here
    slack_server.program("chat.postMessage", FakeResponse.slow(2.5))
    with pytest.raises(DeliveryError) as info:
        channel.send(message=message_factory(), thread=None)
    assert info.value.retryable is True and info.value.reason == "timeout"


def test_backlog_delivered_in_order_after_outage(
    slack_server: FakeSlackServer, message_factory: MessageFactory
) -> None:
    channel = bot(slack_server)
    slack_server.program("chat.postMessage", *[FakeResponse.server_error(500)] * 3)
    pending = [message_factory(incident_id=f"inc-{i}") for i in range(3)]
    for message in pending:
        with pytest.raises(DeliveryError):
            channel.send(message=message, thread=None)
    delivered = [channel.send(message=m, thread=None) for m in pending]
    assert all(d.remote_id for d in delivered)
    ids = [m["blocks"][-1]["elements"][0]["value"] for m in slack_server.messages]
    assert ids == ["inc-0", "inc-1", "inc-2"]


def test_digest_is_not_a_thread(
    slack_server: FakeSlackServer, message_factory: MessageFactory
) -> None:
    result = bot(slack_server).send(message=message_factory(event="digest"), thread=None)
    assert result.thread_id is None and result.remote_id is not None


def test_webhook_mode(slack_server: FakeSlackServer, message_factory: MessageFactory) -> None:
    channel = build_channel(
        name="hook",
        kind="slack",
        options={"mode": "webhook", "webhook_url_env": "SLACK_WEBHOOK"},
        environ={"SLACK_WEBHOOK": slack_server.webhook_url()},
    )
    assert channel.supports_threads is False
    result = channel.send(message=message_factory(), thread=None)
    assert result.thread_id is None
    (call,) = [r for r in slack_server.requests if r.path.startswith("/services/")]
    assert call.json["blocks"][0]["type"] == "header" and call.json["unfurl_links"] is False
    # no app receives a webhook message's button presses, so it has none
    assert all(block["type"] != "actions" for block in call.json["blocks"])
    slack_server.program("webhook", FakeResponse(404, "channel_not_found"))
    with pytest.raises(DeliveryError) as info:
        channel.send(message=message_factory(event="resolved"), thread=None)
    assert info.value.retryable is False and "channel_not_found" in str(info.value)
    slack_server.program("webhook", FakeResponse(429, "rate limited", {"Retry-After": "7"}))
    with pytest.raises(DeliveryError) as info:
        channel.send(message=message_factory(), thread=None)
    assert info.value.retryable is True and info.value.retry_after == 7.0


def test_fake_server_supports_files_upload_v2_and_auth_test(
    slack_server: FakeSlackServer,
) -> None:
    client = WebClient(token="xoxb-test-token", base_url=slack_server.base_url)
    assert client.auth_test()["user_id"] == "U000BOT"
    response = client.files_upload_v2(
        channel="C0RISK", content="digest,1\n", filename="digest.csv", title="Weekly digest"
    )
    file_id = response["file"]["id"]
    assert slack_server.uploads[file_id] == b"digest,1\n"
    methods = [r.api_method or r.path.split("/")[1] for r in slack_server.requests]
    assert methods == [
        "auth.test",
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


def test_fake_server_rejects_oversized_blocks(slack_server: FakeSlackServer) -> None:
    client = WebClient(token="xoxb-test-token", base_url=slack_server.base_url)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    with pytest.raises(Exception, match="invalid_blocks"):
        client.chat_postMessage(channel="#x", text="t", blocks=blocks)


def test_burst_of_1000_arrives_grouped(
    slack_server: FakeSlackServer, message_factory: MessageFactory
) -> None:
    from datetime import timedelta

    from alerts.grouping import GroupingPolicy, PendingAlert, plan_sends

    t0 = message_factory().created_at
    burst = [
        PendingAlert(f"k{i:04d}", message_factory(incident_id=f"inc-{i}"), t0) for i in range(1000)
    ]
    policy = GroupingPolicy(group_wait=timedelta(seconds=2), max_individual=5)
    decision = plan_sends(pending=burst, history=[], now=t0 + timedelta(seconds=2), policy=policy)
    assert decision.digest is not None and len(decision.folded) == 995
    channel = bot(slack_server)
    for alert in decision.individual:
        channel.send(message=alert.message, thread=None)
    channel.send(message=decision.digest, thread=None)
    assert len(slack_server.messages) == 6
    digest_text = json.dumps(slack_server.messages[-1]["blocks"])
    assert "995 new incidents" in digest_text and "and 895 more" in digest_text
