"""Posting the digest: Slack summary + file upload, e-mail with inline charts, text elsewhere."""

from __future__ import annotations

import email
import email.policy
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from alerts.testing import FakeResponse, FakeSlackServer
from monitor.digest.charts import render_charts
from monitor.digest.labels import Labels
from monitor.digest.run import render_document
from monitor.digest.send import ChannelTarget, DigestDocument, send_digest_document

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
ENV = {"SLACK_BOT_TOKEN": "xoxb-test", "HOOK": ""}


@pytest.fixture(scope="module")
def document(week: Any) -> DigestDocument:
    labels = Labels("en", week.inputs.timezone)
    return render_document(week.digest, charts=render_charts(week.digest, labels),
                           labels=labels, filename="digest-2026-W46.html")


@pytest.fixture()
def slack() -> Iterator[FakeSlackServer]:
    with FakeSlackServer() as server:
        yield server


@dataclass
class Inbox:
    received: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append(envelope.content)
        return "250 Message accepted"


@pytest.fixture()
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_digest_slack_bot_posts_summary_and_uploads_the_html(
    document: DigestDocument, slack: FakeSlackServer
) -> None:
    target = ChannelTarget("risk-slack", "slack", {"channel": "#risk", "base_url": slack.base_url})
    [result] = send_digest_document(document, targets=[target], environ=ENV, now=NOW)
    assert result.ok, result.detail
    [post] = slack.calls("chat.postMessage")
    params = post.params
    blocks = json.loads(params["blocks"]) if isinstance(params["blocks"], str) else params["blocks"]
    text = json.dumps(blocks, ensure_ascii=False)
    assert "Weekly risk digest 2026-W46" in text and "Mentions: 4,001" in text
    assert "<script>" not in text and "&lt;script&gt;" in text  # the hostile title is inert
    [complete] = slack.calls("files.completeUploadExternal")
    assert complete.params["channel_id"] == "CRISK"
    assert complete.params["thread_ts"] == slack.messages[0]["ts"]
    [uploaded] = slack.uploads.values()
    assert uploaded == document.html.encode("utf-8")


def test_digest_slack_failure_is_reported_not_raised(
    document: DigestDocument, slack: FakeSlackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    slack.program("chat.postMessage", FakeResponse(200, {"ok": False,
                                                         "error": "channel_not_found"}))
    targets = [
        ChannelTarget("risk-slack", "slack", {"channel": "#gone", "base_url": slack.base_url}),
        ChannelTarget("no-token", "slack", {"channel": "#x", "token_env": "MISSING_TOKEN"}),
        ChannelTarget("console", "console", {}),
    ]
    results = send_digest_document(document, targets=targets, environ=ENV, now=NOW)
    assert [r.ok for r in results] == [False, False, True]
    assert "channel_not_found" in results[0].detail
    assert "MISSING_TOKEN" in results[1].detail
    out = capsys.readouterr().out
    assert "Weekly risk digest 2026-W46" in out and "Mentions: 4,001" in out
    assert not slack.calls("files.completeUploadExternal")


def test_digest_slack_webhook_gets_the_summary(
    document: DigestDocument, slack: FakeSlackServer
) -> None:
    env = {"HOOK": slack.webhook_url()}
    target = ChannelTarget("hook", "slack", {"mode": "webhook", "webhook_url_env": "HOOK"})
    [result] = send_digest_document(document, targets=[target], environ=env, now=NOW)
    assert result.ok, result.detail
    [call] = [r for r in slack.requests if r.path.startswith("/services/")]
    assert "Weekly risk digest" in call.json["text"]


def test_digest_email_inlines_charts_and_attaches_the_file(
    document: DigestDocument, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    target = ChannelTarget("manager-email", "email", {
        "host": "127.0.0.1", "port": port, "security": "none",
        "from_addr": "crisiswatch@example.org", "to": ["boss@example.org"],
    })
    [result] = send_digest_document(document, targets=[target], environ={}, now=NOW)
    assert result.ok, result.detail
    [raw] = inbox.received
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["Subject"] == "[crisiswatch] Weekly risk digest 2026-W46 — Lumina Dairy 澜沐乳业"
    plain = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert plain is not None and "Mentions: 4,001" in plain.get_content()
    assert html is not None
    body = html.get_content()
    assert body.count('src="cid:chart') == 4 and "data:image" not in body
    assert "font/otf" not in body
    images = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 4 and all(p["Content-ID"].startswith("<chart") for p in images)
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "digest-2026-W46.html"
    assert attachment.get_content_charset() == "utf-8"
    assert attachment.get_content().replace("\r\n", "\n") == document.html  # mail uses CRLF
