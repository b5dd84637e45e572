"""Channels from settings (build and check), and the dispatcher over email, webhook and the
Chinese team-chat robots against local servers."""

from __future__ import annotations

import email
import email.policy
import json
import random
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from alerts.grouping import GroupingPolicy
from alerts.testing import FakeResponse, WebhookRecorder
from config.loader import Finding
from config.schema import Settings
from monitor.alerting.channels import build_channel_set, check_channels, dispatch_policy
from monitor.alerting.dispatch import DispatchPolicy, dispatch_once

README = Path(__file__).resolve().parents[3] / "README.md"
POLICY = DispatchPolicy(grouping=GroupingPolicy(max_individual=100))


def settings(channels: dict[str, Any], **alerting: Any) -> Settings:
    return Settings.model_validate({
        "organisation": {"name": "Acme"},
        "entities": [{"id": "acme", "name": "Acme", "kind": "brand"}],
        "channels": channels,
        "alerting": alerting,
    })


def run(outbox: Any, channels: Any, policy: DispatchPolicy = POLICY) -> None:
    dispatch_once(sessions=outbox.sessions, channels=channels, policy=policy,
                  clock=outbox.clock, rng=random.Random(0))


def readme_verifier() -> Any:
    """The signature check exactly as the README shows it."""
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    (snippet,) = [b for b in blocks if "def verify_crisiswatch_signature" in b]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, str(README), "exec"), namespace)  # our own documentation's code
    return namespace["verify_crisiswatch_signature"]


def test_check_channels_names_channel_and_option_without_secrets() -> None:
    findings = check_channels(settings({
        "ok-slack": {"kind": "slack", "channel": "#risk", "token_env": "NOT_SET_ANYWHERE"},
        "typo": {"kind": "slack", "chanel": "#risk", "enabeld": False},
        "bad-timeout": {"kind": "webhook", "url_env": "U", "secret_env": "S", "timeout": "soon"},
        "mail": {"kind": "email", "host": "smtp.example.com", "from_addr": "a@example.com"},
        "what": {"kind": "pager"},
        "hook": {"kind": "webhok"},
    }, slack_app_token_env="SLACK_APP_TOKEN"),
        environ={"NOT_SET_ANYWHERE": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert all(isinstance(f, Finding) and not f.warning for f in findings)
    problems = [str(f) for f in findings]
    assert not any(p.startswith("channels.ok-slack") for p in problems)
    assert "channels.typo.chanel: unknown option (did you mean 'channel'?)" in problems
    assert "channels.typo.enabeld: unknown option (did you mean 'enabled'?)" in problems
    assert "channels.typo.channel: missing option" in problems
    assert any(p.startswith("channels.bad-timeout.timeout: option 'timeout' must be a number")
               for p in problems)
    assert "channels.mail.to: missing option" in problems
    assert any(p.startswith("channels.what.kind: unknown channel kind 'pager' (expected one of")
               for p in problems)
    assert "channels.hook.kind: unknown channel kind 'webhok' (did you mean 'webhook'?)" in problems
    assert len(problems) == 7


def test_check_channels_warns_of_every_environment_variable_a_channel_reads() -> None:
    config = settings({
        "bot": {"kind": "slack", "channel": "#risk"},  # reads SLACK_BOT_TOKEN by default
        "hook": {"kind": "slack", "mode": "webhook", "webhook_url_env": "HOOK"},
        "mail": {"kind": "email", "host": "smtp.example.com", "from_addr": "a@example.com",
                 "to": ["b@example.com"], "username_env": "SMTP_USER",
                 "password_env": "SMTP_PASSWORD"},
        "off": {"kind": "webhook", "url_env": "OFF_URL", "secret_env": "OFF_SECRET",
                "enabled": False},
    }, slack_app_token_env="SLACK_APP_TOKEN")
    findings = check_channels(config, environ={"SMTP_USER": "u"})
    assert all(f.warning for f in findings)
    assert [str(f) for f in findings] == [
        "channels.bot: environment variable SLACK_BOT_TOKEN is not set (a slack channel reads "
        "it when no *_env option names another)",
        "channels.hook.webhook_url_env: environment variable HOOK (named by option "
        "'webhook_url_env') is not set",
        "channels.mail.password_env: environment variable SMTP_PASSWORD (named by option "
        "'password_env') is not set",
        "alerting.slack_app_token_env: environment variable SLACK_APP_TOKEN is not set",
    ]


def test_check_channels_with_the_environment_and_socket_mode() -> None:
    hook = settings({"hook": {"kind": "slack", "mode": "webhook", "webhook_url_env": "HOOK"}},
                    slack_app_token_env="SLACK_APP_TOKEN")
    assert [str(f) for f in check_channels(hook, environ={"HOOK": "https://h.example"})] == [
        "alerting.slack_app_token_env: Socket Mode needs an enabled slack channel in bot mode",
    ]
    bot = settings({"s": {"kind": "slack", "channel": "#r"}}, slack_app_token_env="APP")
    assert check_channels(bot, environ={"SLACK_BOT_TOKEN": "x", "APP": "xapp-1"}) == []
    blank = check_channels(bot, environ={"SLACK_BOT_TOKEN": " ", "APP": "xapp-1"})
    assert [f.loc for f in blank] == [("channels", "s")]


def test_build_channel_set_keeps_going_past_a_broken_channel(tmp_path: Path) -> None:
    built = build_channel_set(settings({
        "console": {"kind": "console"},
        "file": {"kind": "file", "path": str(tmp_path / "a.jsonl")},
        "slack": {"kind": "slack", "channel": "#risk"},
        "off": {"kind": "console", "enabled": False},
    }), environ={})
    try:
        assert sorted(built.channels) == ["console", "file"]
        assert built.unavailable == {
            "slack": "environment variable SLACK_BOT_TOKEN (named by option 'token_env') is not set"
        }
        assert built.disabled == frozenset({"off"})
        assert built.why_not("slack").startswith("channel 'slack' is not usable: environment")
    finally:
        built.close()


def test_dispatch_policy_from_settings() -> None:
    policy = dispatch_policy(settings({}, max_attempts=3, backoff_base="5s", group_wait="10s",
                                      max_individual=2, dashboard_url="https://cw.example"))
    assert (policy.retry.max_attempts, policy.retry.base, policy.retry.cap) == (3, 5.0, 300.0)
    assert policy.grouping.group_wait.total_seconds() == 10 and policy.grouping.max_individual == 2
    assert policy.dashboard_url == "https://cw.example"


def test_webhook_signature_verifies_with_the_readme_snippet(outbox: Any) -> None:
    verify = readme_verifier()
    env = {"HOOK_URL": "", "HOOK_SECRET": "s3cret-\u00e9"}
    with WebhookRecorder() as recorder:
        env["HOOK_URL"] = recorder.url + "/hooks/crisiswatch"
        config = settings({"hook": {"kind": "webhook", "url_env": "HOOK_URL",
                                    "secret_env": "HOOK_SECRET"}},
                          dashboard_url="https://cw.example/")
        channels = build_channel_set(config, environ=env)
        incident = outbox.incident()
        outbox.enqueue(incident, channels=("hook",), title="<b>hi</b> & bye")
        run(outbox, channels, dispatch_policy(config))
        channels.close()
        (request,) = recorder.requests
    timestamp = request.header("X-Crisiswatch-Timestamp")
    signature = request.header("X-Crisiswatch-Signature")
    assert verify("s3cret-\u00e9", request.body, timestamp, signature, now=float(timestamp))
    assert not verify("wrong", request.body, timestamp, signature, now=float(timestamp))
    assert not verify("s3cret-\u00e9", request.body + b" ", timestamp, signature,
                      now=float(timestamp))
    assert not verify("s3cret-\u00e9", request.body, timestamp, signature,
                      now=float(timestamp) + 301)
    body = json.loads(request.body)
    assert body["version"] == 1 and body["incident"]["title"] == "<b>hi</b> & bye"
    assert body["incident"]["dashboard_url"] == f"https://cw.example/incidents/{incident}"
    assert request.header("X-Crisiswatch-Delivery") == body["id"]
    assert outbox.rows()[0].remote_id == body["id"]


def test_chat_robots_through_the_dispatcher(outbox: Any) -> None:
    answer = FakeResponse(200, {"errcode": 0, "errmsg": "ok", "code": 0})
    with WebhookRecorder(default=answer) as recorder:
        env = {"DT": recorder.url + "/robot/send?access_token=abc", "DT_SECRET": "SECxyz",
               "WC": recorder.url + "/cgi-bin/webhook/send?key=k", "FS": recorder.url + "/hook/f",
               "FS_SECRET": "fs"}
        config = settings({
            "dt": {"kind": "dingtalk", "url_env": "DT", "secret_env": "DT_SECRET"},
            "wc": {"kind": "wecom", "url_env": "WC"},
            "fs": {"kind": "feishu", "url_env": "FS", "secret_env": "FS_SECRET"},
        })
        channels = build_channel_set(config, environ=env)
        outbox.enqueue(outbox.incident(), channels=("dt", "wc", "fs"), note="x" * 10_000)
        run(outbox, channels)
        channels.close()
        by_path = {r.path: r for r in recorder.requests}
    dingtalk = by_path["/robot/send"]
    assert dingtalk.json["msgtype"] == "markdown" and {"timestamp", "sign"} <= set(dingtalk.query)
    wecom = by_path["/cgi-bin/webhook/send"]
    assert wecom.json["msgtype"] == "markdown"
    assert len(wecom.json["markdown"]["content"].encode("utf-8")) <= 4096
    feishu = by_path["/hook/f"]
    assert feishu.json["msg_type"] == "post" and "sign" in feishu.json
    assert outbox.statuses() == {"sent": 3}


@dataclass
class Inbox:
    received: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append(envelope.content)
        return "250 Message accepted"


@pytest.fixture()
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_email_thread_through_the_dispatcher(outbox: Any, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    config = settings({"mail": {"kind": "email", "host": "127.0.0.1", "port": port,
                                "security": "none", "from_addr": "cw@example.com",
                                "to": ["risk@example.com"]}})
    channels = build_channel_set(config, environ={})
    incident = outbox.incident()
    outbox.enqueue(incident, "opened", channels=("mail",), title="<script>x</script>")
    outbox.clock.advance(60)
    outbox.enqueue(incident, "acknowledged", channels=("mail",), status="acknowledged")
    run(outbox, channels)
    channels.close()
    first, second = (email.message_from_bytes(raw, policy=email.policy.default)
                     for raw in inbox.received)
    assert second["In-Reply-To"] == first["Message-ID"] == second["References"]
    html_part = first.get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert [r.remote_id for r in outbox.rows()] == [first["Message-ID"], second["Message-ID"]]
