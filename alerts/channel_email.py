"""Email over SMTP: multipart/alternative (plain text + escaped HTML), threaded per incident.

Message-IDs are derived from the incident (root) and from the message's dedup key (later
events), so a retried send carries the same Message-ID and mail clients show it once; later
events set In-Reply-To / References to the root, so clients thread them.
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from typing import Any, ClassVar, Final

from alerts.channel import ChannelBase, Clock, Options
from alerts.errors import DeliveryError
from alerts.mentions import email_address
from alerts.message import AlertMessage, DeliveryResult, ThreadRef
from alerts.outline import headline, one_line
from alerts.render_html import render_html
from alerts.render_text import render_text

DEFAULT_PORTS: Final = {"starttls": 587, "ssl": 465, "none": 25}
_ID_SAFE: Final = re.compile(r"[^A-Za-z0-9._-]")


class EmailChannel(ChannelBase):
    """Sends one email per alert; ``security`` is starttls (default), ssl or none (local).

    ``subject_prefix`` starts every subject ("" for none); ``send_mail`` sends other mail, such
    as the digest, from the same sender to the same recipients.
    """

    kind: ClassVar[str] = "email"
    required_options: ClassVar[tuple[str, ...]] = ("host", "from_addr", "to")
    optional_options: ClassVar[tuple[str, ...]] = (
        "port",
        "security",
        "username_env",
        "password_env",
        "timeout",
        "ca_file",
        "subject_prefix",
        "msgid_domain",
    )

    supports_threads = True
    max_text = 1_000_000

    def __init__(
        self,
        *,
        name: str,
        host: str,
        from_addr: str,
        to: tuple[str, ...],
        clock: Clock,
        port: int | None = None,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 20.0,
        ca_file: str | None = None,
        subject_prefix: str = "[crisiswatch]",
        msgid_domain: str | None = None,
    ) -> None:
        self.name = name
        self._host = host
        self._port = port or DEFAULT_PORTS[security]
        self._security = security
        self._from = from_addr
        self._to = to
        self._username = username
        self._password = password
        self._timeout = timeout
        self._ca_file = ca_file
        self.subject_prefix = subject_prefix
        self._domain = msgid_domain or from_addr.rpartition("@")[2] or "crisiswatch.invalid"
        self._clock = clock

    @classmethod
    def from_options(
        cls, *, name: str, options: Mapping[str, Any], environ: Mapping[str, str], clock: Clock
    ) -> EmailChannel:
        """Build from options; ``username_env`` and ``password_env`` go together."""
        opts = Options(name=name, kind=cls.kind, values=options, environ=environ)
        security = opts.choice("security", ("starttls", "ssl", "none"), "starttls")
        has_user, has_pass = "username_env" in options, "password_env" in options
        if has_user != has_pass:
            missing = "password_env" if has_user else "username_env"
            raise opts.error(f"option {missing!r} is needed with the other credential option")
        port = opts.integer("port", DEFAULT_PORTS[security], minimum=1)
        return cls(
            name=name,
            host=opts.text("host"),
            from_addr=opts.text("from_addr"),
            to=opts.text_list("to"),
            clock=clock,
            port=port,
            security=security,
            username=opts.optional_secret("username_env"),
            password=opts.optional_secret("password_env"),
            timeout=opts.number("timeout", 20.0, minimum=0.1),
            ca_file=opts.optional_text("ca_file"),
            subject_prefix=_prefix(opts),
            msgid_domain=opts.optional_text("msgid_domain"),
        )

    def root_message_id(self, incident_id: str) -> str:
        """The Message-ID of an incident's first email (deterministic)."""
        return f"<cw.{_id_token(incident_id)}@{self._domain}>"

    def build(self, *, message: AlertMessage, thread: ThreadRef | None) -> EmailMessage:
        """The email for ``message`` (exposed for tests and dry runs)."""
        mail = EmailMessage()
        mail["Subject"] = self.subject(message)
        mail["From"] = self._from
        mail["To"] = ", ".join(self.recipients(message))
        mail["Date"] = format_datetime(datetime.fromtimestamp(self._clock(), UTC))
        root_id = thread.thread_id if thread is not None else None
        if root_id is None or message.event == "digest":
            mail["Message-ID"] = (
                self.root_message_id(message.incident_id)
                if message.event != "digest"
                else f"<cw.digest.{message.dedup_key}@{self._domain}>"
            )
        else:
            mail["Message-ID"] = f"<cw.{message.dedup_key}@{self._domain}>"
            mail["In-Reply-To"] = root_id
            mail["References"] = root_id
        mail["Auto-Submitted"] = "auto-generated"
        mail["X-Crisiswatch-Incident"] = one_line(message.incident_id, 200)
        mail["X-Crisiswatch-Event"] = message.event
        mail.set_content(render_text(message))
        mail.add_alternative(render_html(message), subtype="html")
        return mail

    def recipients(self, message: AlertMessage) -> list[str]:
        """The configured ``to`` addresses, then the address of each person the alert is for."""
        people = (email_address(r) for r in message.recipients)
        return list(dict.fromkeys([*self._to, *(a for a in people if a is not None)]))

    def subject(self, message: AlertMessage) -> str:
        """``[prefix] [DRILL] HIGH · entity · category: title`` on one line (<= 200 chars)."""
        parts = [self.subject_prefix] if self.subject_prefix else []
        parts.append(f"{headline(message)}: {one_line(message.title, 150)}")
        return one_line(" ".join(parts), 200)

    def send(self, *, message: AlertMessage, thread: ThreadRef | None) -> DeliveryResult:
        """Send over SMTP; 4xx answers and network failures are retryable, 5xx are not."""
        mail = self.build(message=message, thread=thread)
        self.send_mail(mail)
        root = thread.thread_id if thread is not None else mail["Message-ID"]
        if message.event == "digest":
            root = None
        return DeliveryResult(self.name, str(mail["Message-ID"]), root)

    def send_mail(self, mail: EmailMessage) -> None:
        """Send an email built by the caller (e.g. the digest, starting from ``build``) to
        ``to`` over this channel's SMTP session; DeliveryError on failure, as for ``send``."""
        try:
            self._deliver(mail)
        except DeliveryError:
            raise
        except smtplib.SMTPAuthenticationError:
            raise self._error("authentication failed", retryable=False) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            retryable = all(400 <= code < 500 for code in codes)
            raise self._error(f"recipients refused {codes}", retryable=retryable) from None
        except smtplib.SMTPResponseException as exc:
            retryable = 400 <= exc.smtp_code < 500
            raise self._error(f"SMTP {exc.smtp_code}", retryable=retryable) from None
        except smtplib.SMTPNotSupportedError:
            raise self._error("server does not support STARTTLS", retryable=False) from None
        except ssl.SSLCertVerificationError:
            raise self._error("TLS certificate not trusted", retryable=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            reason = "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
            raise self._error(f"connection failed ({reason})", retryable=True) from None

    def _deliver(self, mail: EmailMessage) -> None:
        context = ssl.create_default_context(cafile=self._ca_file)
        smtp: smtplib.SMTP
        if self._security == "ssl":
            smtp = smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=context)
        else:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        with smtp:
            if self._security == "starttls":
                smtp.starttls(context=context)
            if self._username is not None and self._password is not None:
                smtp.login(self._username, self._password)
            to = [address for _, address in getaddresses(mail.get_all("To", []))]
            smtp.send_message(mail, from_addr=self._from, to_addrs=to or list(self._to))

    def _error(self, reason: str, *, retryable: bool) -> DeliveryError:
        target = f"{self._host}:{self._port}"
        return DeliveryError(reason, kind=self.kind, target=target, retryable=retryable)


def _prefix(opts: Options) -> str:
    """The subject prefix option: any string, "" for none."""
    value = opts.values.get("subject_prefix", "[crisiswatch]")
    if not isinstance(value, str):
        raise opts.error("option 'subject_prefix' must be a string")
    return value


def _id_token(incident_id: str) -> str:
    """A Message-ID-safe token for an incident id (hashed when it has unsafe characters)."""
    token = _ID_SAFE.sub("", incident_id)
    if token == incident_id and 0 < len(token) <= 64:
        return token
    return hashlib.sha256(incident_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
