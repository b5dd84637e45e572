"""Service logs: readable or JSON lines, ids on the lines that concern them, secrets redacted."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from monitor.service.logging import (
    bind,
    configure_logging,
    log_context,
    secrets_from_settings,
)

CHANNELS = """\
storage: {url_env: CW_DB_URL}
channels:
  slack:
    kind: slack
    token_env: CW_SLACK_TOKEN
    channel: "#risk"
  hook:
    kind: webhook
    url_env: CW_HOOK_URL
    secret_env: CW_HOOK_SECRET
"""
ENV = {
    "CW_DB_URL": "postgresql+psycopg://cw:dbpass-7781@db.internal/cw",
    "CW_SLACK_TOKEN": "xoxb-1111-2222-abcdefSECRET",
    "CW_HOOK_URL": "https://hooks.example.com/T0/B0/hooksecretpath",
    "CW_HOOK_SECRET": "signing-secret-42",
    "UNRELATED": "not-a-secret-value",
}


@pytest.fixture()
def capture() -> Iterator[Callable[..., io.StringIO]]:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)

    def install(**kwargs: Any) -> io.StringIO:
        stream = io.StringIO()
        configure_logging(stream=stream, **kwargs)
        return stream

    yield install
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def test_secret_env_values_named_by_the_config_are_found(
    write_config: Callable[[str], Any],
) -> None:
    settings = write_config(CHANNELS).settings
    found = secrets_from_settings(settings, environ=ENV)
    assert sorted(found) == sorted(v for k, v in ENV.items() if k != "UNRELATED")


@pytest.mark.parametrize("json_lines", [False, True])
def test_secrets_are_never_logged(
    write_config: Callable[[str], Any], capture: Callable[..., io.StringIO], json_lines: bool
) -> None:
    settings = write_config(CHANNELS).settings
    stream = capture(json_lines=json_lines, secrets=secrets_from_settings(settings, environ=ENV))
    log = logging.getLogger("monitor.test")
    log.info("connecting to %s", ENV["CW_DB_URL"])
    log.warning("slack said invalid_auth for token %s", ENV["CW_SLACK_TOKEN"])
    log.error("webhook %s failed, signed with %s", ENV["CW_HOOK_URL"], ENV["CW_HOOK_SECRET"])
    log.info("feed https://reader:hunter2pass@feeds.example.com/x.xml moved")
    log.info("a token from elsewhere: xoxp-9999-8888-zzzzzz")
    try:
        raise RuntimeError(f"cannot connect to {ENV['CW_DB_URL']}")
    except RuntimeError:
        log.exception("storage failed")
    out = stream.getvalue()
    for secret in (*[v for k, v in ENV.items() if k != "UNRELATED"], "hunter2pass",
                   "dbpass-7781", "xoxp-9999-8888-zzzzzz"):
        assert secret not in out
    assert "reader:***@feeds.example.com" in out
    assert "RuntimeError" in out  # the exception is still there, only the secret is masked
    assert out.count("***") >= 7


def test_json_lines_carry_source_and_incident_ids(capture: Callable[..., io.StringIO]) -> None:
    stream = capture(json_lines=True)
    log = logging.getLogger("monitor.pipeline.collect")
    with log_context(source_id="weibo-rss", job="poll"):
        log.info("polled")
        logging.getLogger("some.library").warning("slow answer")
    bind(log, incident_id=42).info("escalated to level 2")
    log.info("plain", extra={"incident_id": 7})
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == ["polled", "slow answer",
                                                   "escalated to level 2", "plain"]
    assert lines[0]["source_id"] == "weibo-rss" and lines[0]["job"] == "poll"
    assert lines[1]["source_id"] == "weibo-rss"  # any module, inside the block
    assert lines[2]["incident_id"] == 42 and "source_id" not in lines[2]
    assert lines[3]["incident_id"] == 7
    assert {"time", "level", "logger"} <= set(lines[0])


def test_context_is_per_thread_and_readable_lines_show_it(
    capture: Callable[..., io.StringIO],
) -> None:
    stream = capture(json_lines=False)
    log = logging.getLogger("monitor.test")

    def other() -> None:
        log.info("from another thread")

    with log_context(source_id="news-en"):
        log.info("collected: new 3")
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    lines = stream.getvalue().splitlines()
    assert "[source=news-en] collected: new 3" in lines[0]
    assert "INFO" in lines[0] and "monitor.test" in lines[0]
    assert "source=" not in lines[1]
