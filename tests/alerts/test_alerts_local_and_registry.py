"""Console and file channels, and the registry's option / environment checks."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from alerts.channel_local import ConsoleChannel, FileChannel
from alerts.errors import ChannelConfigError, DeliveryError
from alerts.message import AlertMessage
from alerts.registry import CHANNEL_KINDS, build_channel, check_options

MessageFactory = Callable[..., AlertMessage]


def test_console_writes_a_readable_block(
    hostile_factory: MessageFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    channel = build_channel(name="console", kind="console", options={}, environ={})
    channel.send(message=hostile_factory(), thread=None)
    out = capsys.readouterr().out
    assert out.startswith("-" * 72 + "\nHIGH · ")
    assert "\x1b" not in out and "\u202e" not in out and "Incident inc-0007" in out


def test_console_to_given_stream_and_closed_stream(message_factory: MessageFactory) -> None:
    stream = io.StringIO()
    ConsoleChannel(name="c", stream=stream).send(message=message_factory(), thread=None)
    assert "Battery overheating" in stream.getvalue()
    stream.close()
    with pytest.raises(DeliveryError) as info:
        ConsoleChannel(name="c", stream=stream).send(message=message_factory(), thread=None)
    assert info.value.retryable is False


def test_file_appends_json_lines_concurrently(
    tmp_path: Path, message_factory: MessageFactory
) -> None:
    path = tmp_path / "out" / "alerts.jsonl"
    channel = build_channel(
        name="file", kind="file", options={"path": str(path)}, environ={}, clock=lambda: 0.0
    )
    threads = [
        threading.Thread(
            target=channel.send,
            kwargs={"message": message_factory(incident_id=f"inc-{i}"), "thread": None},
        )
        for i in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["incident"]["id"] for line in lines) == [
        f"inc-{i}" for i in range(8)
    ]
    assert all(json.loads(line)["version"] == 1 for line in lines)


def test_file_unwritable_is_retryable(tmp_path: Path, message_factory: MessageFactory) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    channel = FileChannel(name="f", path=blocker / "alerts.jsonl", clock=lambda: 0.0)
    with pytest.raises(DeliveryError) as info:
        channel.send(message=message_factory(), thread=None)
    assert info.value.retryable is True


# -- registry ---------------------------------------------------------------------------------


def test_every_kind_declares_its_options() -> None:
    assert set(CHANNEL_KINDS) == {
        "slack",
        "webhook",
        "dingtalk",
        "wecom",
        "feishu",
        "email",
        "console",
        "file",
    }
    for kind, cls in CHANNEL_KINDS.items():
        assert cls.kind == kind
        assert not set(cls.required_options) & set(cls.optional_options)


@pytest.mark.parametrize(
    ("kind", "options", "environ", "message"),
    [
        ("pager", {}, {}, "channel 'x' (pager): unknown channel kind (expected one of: console"),
        ("slack", {}, {}, "channel 'x' (slack): missing option 'channel'"),
        ("slack", {"mode": "webhook"}, {}, "channel 'x' (slack): missing option 'webhook_url_env'"),
        (
            "slack",
            {"channel": "#a", "chanel": "#b"},
            {},
            "channel 'x' (slack): unknown option 'chanel' (expected one of: base_url, ",
        ),
        (
            "slack",
            {"channel": "#a"},
            {},
            "channel 'x' (slack): environment variable SLACK_BOT_TOKEN "
            "(named by option 'token_env') is not set",
        ),
        (
            "slack",
            {"channel": "#a", "mode": "pager"},
            {"SLACK_BOT_TOKEN": "t"},
            "channel 'x' (slack): option 'mode' must be one of bot, webhook, got 'pager'",
        ),
        (
            "webhook",
            {"url_env": "U", "secret_env": "S"},
            {"U": "http://h/"},
            "channel 'x' (webhook): environment variable S (named by option 'secret_env') is not",
        ),
        ("webhook", {"url_env": "U"}, {}, "channel 'x' (webhook): missing option 'secret_env'"),
        (
            "dingtalk",
            {"url_env": "U", "timeout": "fast"},
            {"U": "http://h/"},
            "channel 'x' (dingtalk): option 'timeout' must be a number >= 0.1, got 'fast'",
        ),
        (
            "email",
            {"host": "h", "from_addr": "a@b", "to": [], "username_env": "U"},
            {},
            "channel 'x' (email): option 'password_env' is needed with the other credential",
        ),
        (
            "email",
            {"host": "h", "from_addr": "a@b", "to": []},
            {},
            "channel 'x' (email): option 'to' must be a non-empty list of strings",
        ),
        ("file", {}, {}, "channel 'x' (file): missing option 'path'"),
        (
            "console",
            {"stream": "printer"},
            {},
            "channel 'x' (console): option 'stream' must be one of stdout, stderr, got 'printer'",
        ),
    ],
)
def test_config_errors_name_channel_and_field(
    kind: str, options: dict[str, Any], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ChannelConfigError) as info:
        build_channel(name="x", kind=kind, options=options, environ=environ)
    assert str(info.value).startswith(message)


def test_secret_values_never_appear_in_errors() -> None:
    with pytest.raises(ChannelConfigError) as info:
        build_channel(
            name="x",
            kind="webhook",
            options={"url_env": "U", "secret_env": "S", "timeout": -1},
            environ={"U": "https://hooks.example/very-secret-token", "S": "hunter2"},
        )
    assert "very-secret-token" not in str(info.value) and "hunter2" not in str(info.value)


def test_check_options_does_not_need_the_environment() -> None:
    assert (
        check_options(name="s", kind="slack", options={"channel": "#a"}) is CHANNEL_KINDS["slack"]
    )


def test_email_accepts_comma_separated_recipients() -> None:
    channel = build_channel(
        name="m",
        kind="email",
        options={"host": "h", "from_addr": "cw@ex.com", "to": "a@ex.com, b@ex.com"},
        environ={},
    )
    assert channel.supports_threads is True
