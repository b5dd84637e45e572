"""Post a digest to channels: Slack summary + HTML file, the HTML by email, text elsewhere.

Channels are built with ``alerts.registry.build_channel`` (same options and secrets as alerts).
Slack in bot mode posts the key figures, then uploads the HTML file into that message's thread
with ``files_upload_v2``; Slack webhooks get the summary only. Email carries the digest inline
(charts as related images, since mail clients block data: URIs) with the self-contained HTML
file attached. Every other kind receives the summary as an ``AlertMessage(event="digest")``.
A daily summary (a report of one day) is a short message everywhere: a few lines
(``monitor.digest.daily``), no file. One failing channel never stops the others: each gets a
SendResult.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from alerts.channel import Channel
from alerts.channel_email import EmailChannel
from alerts.channel_slack import SlackChannel
from alerts.errors import ChannelConfigError, DeliveryError
from alerts.message import AlertMessage, DigestEntry
from alerts.registry import build_channel
from alerts.render_slack import escape_mrkdwn, escape_plain
from monitor.digest.daily import daily_lines
from monitor.digest.labels import Labels
from monitor.digest.model import Digest
from monitor.digest.summary import digest_title, summary_lines, summary_text, top_incident_lines
from playbooks import ALL_GRADES

# weekly-digest-2026-W47 was the only id before periods; each kind now has its own prefix
_ID_PREFIX = {"day": "daily-summary", "week": "weekly-digest", "month": "monthly-report",
              "quarter": "quarterly-report", "year": "yearly-report"}
_DATA_PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


@dataclass(frozen=True, slots=True)
class ChannelTarget:
    """A configured channel: its name, kind and options (secrets named by env var)."""

    name: str
    kind: str
    options: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SendResult:
    channel: str
    kind: str
    ok: bool
    detail: str
    remote_id: str | None = None


@dataclass(frozen=True, slots=True)
class DigestDocument:
    """What is sent: the figures, the labels, the standalone HTML and the e-mail HTML."""

    digest: Digest
    labels: Labels
    html: str  # self-contained file (font and charts as data URIs)
    email_html: str  # the same report without the embedded font
    filename: str  # e.g. digest-2026-W47.html


def send_digest_document(
    document: DigestDocument,
    *,
    targets: list[ChannelTarget],
    environ: Mapping[str, str],
    now: datetime,
) -> list[SendResult]:
    """Send to every target; failures are reported per channel, never raised."""
    results = []
    for target in targets:
        try:
            channel = build_channel(
                name=target.name, kind=target.kind, options=target.options, environ=environ
            )
        except ChannelConfigError as exc:
            results.append(SendResult(target.name, target.kind, False, str(exc)))
            continue
        try:
            results.append(_send_one(channel, target, document, now))
        except DeliveryError as exc:
            results.append(SendResult(target.name, target.kind, False, str(exc)))
        finally:
            channel.close()
    return results


def _send_one(
    channel: Channel, target: ChannelTarget, document: DigestDocument, now: datetime
) -> SendResult:
    if document.digest.meta.kind == "day":
        return _send_daily(channel, target, document, now)
    if isinstance(channel, SlackChannel):
        return _send_slack(channel, target, document)
    if isinstance(channel, EmailChannel):
        return _send_email(channel, target, document, now)
    result = channel.send(message=alert_message(document.digest, document.labels, now), thread=None)
    return SendResult(target.name, target.kind, True, "summary sent", result.remote_id)


def _send_daily(
    channel: Channel, target: ChannelTarget, document: DigestDocument, now: datetime
) -> SendResult:
    digest, labels = document.digest, document.labels
    if isinstance(channel, SlackChannel):
        lines = "\n".join("• " + escape_mrkdwn(line) for line in daily_lines(digest, labels))
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text",
                                        "text": escape_plain(digest_title(digest, labels))[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": lines[:3000]}},
        ]
        posted = channel.post_blocks(
            text=escape_mrkdwn(digest_title(digest, labels)), blocks=blocks
        )
        return SendResult(target.name, "slack", True, "daily summary posted", posted.remote_id)
    short = dataclasses.replace(
        alert_message(digest, labels, now), reasons=tuple(daily_lines(digest, labels)), members=()
    )
    result = channel.send(message=short, thread=None)
    return SendResult(target.name, target.kind, True, "daily summary sent", result.remote_id)


def alert_message(digest: Digest, labels: Labels, now: datetime) -> AlertMessage:
    """The summary as a channel-neutral digest alert (top incidents as members)."""
    grades = [g.grade for g in digest.headline.incidents_by_grade if g.current]
    highest = max(grades, key=lambda g: ALL_GRADES.index(g) if g in ALL_GRADES else -1,
                  default="none")
    return AlertMessage(
        incident_id=f"{_ID_PREFIX.get(digest.meta.kind, 'digest')}-{digest.meta.period.label}",
        event="digest",
        title=digest_title(digest, labels),
        grade=highest,
        entity=digest.meta.organisation,
        likelihood=0,
        impact=0,
        status="report",
        created_at=now,
        reasons=tuple(summary_lines(digest, labels)),
        timezone=digest.meta.timezone,
        members=tuple(
            DigestEntry(
                incident_id=str(row.id),
                title=row.title,
                grade=row.grade,
                entity=row.entity_name,
                category=row.category,
            )
            for row in digest.top_incidents
        ),
    )


def slack_blocks(digest: Digest, labels: Labels) -> list[dict[str, Any]]:
    """Header, key figures, top incidents and a pointer to the attached file; all escaped."""
    figures = "\n".join("• " + escape_mrkdwn(line) for line in summary_lines(digest, labels))
    header = escape_plain(digest_title(digest, labels))[:150]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header}},
        {"type": "section", "text": {"type": "mrkdwn", "text": figures[:3000]}},
    ]
    top = top_incident_lines(digest, labels)
    if top:
        text = f"*{escape_mrkdwn(labels('top_incidents'))}*\n" + "\n".join(
            "• " + escape_mrkdwn(line) for line in top
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
    return blocks


def _send_slack(
    channel: SlackChannel, target: ChannelTarget, document: DigestDocument
) -> SendResult:
    digest, labels = document.digest, document.labels
    posted = channel.post_blocks(
        text=escape_mrkdwn(digest_title(digest, labels)), blocks=slack_blocks(digest, labels)
    )
    if not channel.can_upload_files:
        return SendResult(target.name, "slack", True, "summary posted (webhook, no file)")
    assert posted.remote_id is not None and posted.conversation is not None
    channel.upload_file(
        conversation=posted.conversation,
        thread_ts=posted.remote_id,
        content=document.html.encode("utf-8"),
        filename=document.filename,
        title=digest_title(digest, labels)[:250],
    )
    return SendResult(target.name, "slack", True, "summary posted, HTML uploaded", posted.remote_id)


def email_message(
    channel: EmailChannel, document: DigestDocument, now: datetime
) -> EmailMessage:
    """The e-mail: text summary, the report as HTML with inline chart images, the file attached."""
    digest, labels = document.digest, document.labels
    # The channel's own builder sets From, To, Date and Message-ID; the body is replaced.
    mail = channel.build(message=alert_message(digest, labels, now), thread=None)
    del mail["Subject"]
    mail["Subject"] = f"{channel.subject_prefix} {digest_title(digest, labels)}".strip()
    del mail["X-Crisiswatch-Incident"]
    mail.clear_content()
    images: list[bytes] = []

    def to_cid(match: re.Match[str]) -> str:
        import base64

        images.append(base64.b64decode(match.group(1)))
        return f'src="cid:chart{len(images)}@crisiswatch"'

    html_body = _DATA_PNG.sub(to_cid, document.email_html)
    mail.set_content(summary_text(digest, labels))
    mail.add_alternative(html_body, subtype="html")
    html_part = mail.get_body(("html",))
    assert isinstance(html_part, EmailMessage)
    for index, data in enumerate(images, start=1):
        html_part.add_related(data, maintype="image", subtype="png",
                              cid=f"<chart{index}@crisiswatch>")
    mail.add_attachment(document.html, subtype="html", charset="utf-8",
                        filename=document.filename)
    return mail


def _send_email(
    channel: EmailChannel, target: ChannelTarget, document: DigestDocument, now: datetime
) -> SendResult:
    mail = email_message(channel, document, now)
    channel.send_mail(mail)
    return SendResult(target.name, "email", True, "HTML sent", str(mail["Message-ID"]))
