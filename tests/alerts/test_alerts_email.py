"""Email channel against a local aiosmtpd server (plain, AUTH, STARTTLS, implicit TLS)."""

from __future__ import annotations

import email
import email.policy
import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from alerts.errors import DeliveryError
from alerts.message import AlertMessage
from alerts.registry import build_channel

MessageFactory = Callable[..., AlertMessage]
NOW = 1_714_552_202.0


@dataclass
class Inbox:
    """aiosmtpd handler keeping every accepted message; ``reject`` answers RCPT instead."""

    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    reject: str | None = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.reject:
            return self.reject
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def parsed(self, index: int = -1) -> EmailMessage:
        msg = email.message_from_bytes(self.received[index][2], policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"alerts", b"pw-123")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=check_login,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the TLS tests need the openssl command to make a throwaway certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def channel(port: int, **options: Any) -> Any:
    opts: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from_addr": "crisiswatch@alerts.example",
        "to": ["risk@example.com", "oncall@example.com"],
        "timeout": 5,
    }
    opts.update(options)
    env = {"SMTP_USER": "alerts", "SMTP_PASS": "pw-123", "BAD_PASS": "nope-secret"}
    return build_channel(name="mail", kind="email", options=opts, environ=env, clock=lambda: NOW)


def test_multipart_alternative_reaches_server(
    smtp: tuple[Inbox, int], hostile_factory: MessageFactory
) -> None:
    inbox, port = smtp
    message = hostile_factory(drill=True, title="Recall <script>alert(1)</script> & more")
    result = channel(port).send(message=message, thread=None)
    mail_from, rcpts, _ = inbox.received[0]
    assert mail_from == "crisiswatch@alerts.example"
    assert rcpts == ["risk@example.com", "oncall@example.com"]
    msg = inbox.parsed()
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    subject = str(msg["Subject"])
    assert subject.startswith("[crisiswatch] [DRILL] HIGH")
    assert "\n" not in subject and "\u202e" not in subject
    html = msg.get_body(preferencelist=("html",))
    assert html is not None
    html_text = html.get_content()
    assert "<script>" not in html_text and "&lt;script&gt;" in html_text
    assert "&amp;lt;" in html_text
    plain = msg.get_body(preferencelist=("plain",))
    assert plain is not None and "\x1b" not in plain.get_content()
    assert msg["Message-ID"] == "<cw.inc-0007@alerts.example>" == result.remote_id
    assert result.thread_id == "<cw.inc-0007@alerts.example>"
    assert msg["In-Reply-To"] is None
    assert msg["X-Crisiswatch-Event"] == "opened"


def test_follow_up_is_threaded(smtp: tuple[Inbox, int], message_factory: MessageFactory) -> None:
    inbox, port = smtp
    mail = channel(port)
    first = mail.send(message=message_factory(), thread=None)
    second = mail.send(
        message=message_factory(event="escalated", escalation_level=1), thread=first.thread
    )
    msg = inbox.parsed(1)
    assert msg["In-Reply-To"] == first.thread_id == msg["References"]
    assert msg["Message-ID"] == second.remote_id != first.remote_id
    assert second.thread_id == first.thread_id
    assert "Escalated" in str(msg.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]


def test_login_with_credentials_from_env(
    smtp: tuple[Inbox, int], message_factory: MessageFactory
) -> None:
    inbox, port = smtp
    channel(port, username_env="SMTP_USER", password_env="SMTP_PASS").send(
        message=message_factory(), thread=None
    )
    assert len(inbox.received) == 1
    bad = channel(port, username_env="SMTP_USER", password_env="BAD_PASS")
    with pytest.raises(DeliveryError) as info:
        bad.send(message=message_factory(), thread=None)
    assert info.value.retryable is False and "authentication failed" in str(info.value)
    assert "nope-secret" not in str(info.value)


@pytest.mark.parametrize(
    ("reply", "retryable"), [("550 no such user", False), ("450 try later", True)]
)
def test_refused_recipients(
    smtp: tuple[Inbox, int], message_factory: MessageFactory, reply: str, retryable: bool
) -> None:
    inbox, port = smtp
    inbox.reject = reply
    with pytest.raises(DeliveryError) as info:
        channel(port).send(message=message_factory(), thread=None)
    assert info.value.retryable is retryable and "recipients refused" in str(info.value)


def test_unreachable_server_is_retryable(message_factory: MessageFactory) -> None:
    with pytest.raises(DeliveryError) as info:
        channel(free_port()).send(message=message_factory(), thread=None)
    assert info.value.retryable is True
    assert str(info.value).startswith("email: connection failed")


def _tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def test_starttls(certificate: tuple[Path, Path], message_factory: MessageFactory) -> None:
    cert, key = certificate
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=_tls_context(cert, key),
        require_starttls=True,
        authenticator=check_login,
    )
    controller.start()
    try:
        channel(
            port,
            security="starttls",
            ca_file=str(cert),
            username_env="SMTP_USER",
            password_env="SMTP_PASS",
        ).send(message=message_factory(), thread=None)
        assert len(inbox.received) == 1
        with pytest.raises(DeliveryError) as info:  # our CA file missing: not trusted
            channel(port, security="starttls").send(message=message_factory(), thread=None)
        assert info.value.retryable is False and "certificate" in str(info.value)
    finally:
        controller.stop()


def test_implicit_tls(certificate: tuple[Path, Path], message_factory: MessageFactory) -> None:
    cert, key = certificate
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, ssl_context=_tls_context(cert, key)
    )
    controller.start()
    try:
        channel(port, security="ssl", ca_file=str(cert)).send(
            message=message_factory(), thread=None
        )
        assert len(inbox.received) == 1
    finally:
        controller.stop()
