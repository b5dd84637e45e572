"""The plain values every channel renders and returns.

An ``AlertMessage`` is a snapshot of one incident at the moment of one event; channels never
look anything up, so the same message renders the same way on every retry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from alerts.errors import DeliveryError

__all__ = [
    "EVENTS",
    "GRADES",
    "AlertMessage",
    "DeliveryError",
    "DeliveryResult",
    "DigestEntry",
    "MentionRef",
    "Recipient",
    "ScriptRef",
    "ThreadRef",
    "as_utc",
    "grade_rank",
]

EVENTS: Final[tuple[str, ...]] = (
    "opened",
    "evidence",
    "grade_changed",
    "escalated",
    "acknowledged",
    "responded",
    "resolved",
    "false_positive",
    "recovery",
    "reopened",
    "digest",
)

# Mirrors classifiers.matrix.GRADES; duplicated because libraries never import each other.
GRADES: Final[tuple[str, ...]] = ("none", "low", "medium", "high", "critical")


def grade_rank(grade: str) -> int:
    """Position of a grade in GRADES; unknown grades rank below "none"."""
    try:
        return GRADES.index(grade)
    except ValueError:
        return -1


def as_utc(value: datetime) -> datetime:
    """Return an aware UTC datetime; naive values (e.g. read back from SQLite) are taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True, kw_only=True)
class MentionRef:
    """One mention shown as evidence: untrusted text, escaped by every renderer."""

    excerpt: str
    source: str
    url: str | None = None
    author: str | None = None
    published: datetime | None = None
    # set when the mention needs a reply nobody has recorded yet: its id (``123``, or
    # ``123@DRILL-KEY``) for the "Replied" button, and the reply deadline
    mention_id: str | None = None
    reply_due: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class ScriptRef:
    """An approved response script (already filled and approval-checked by the caller)."""

    id: str
    lang: str
    text: str


@dataclass(frozen=True, kw_only=True)
class Recipient:
    """A person the alert is addressed to: the name shown and their handle per channel kind.

    Each channel mentions the person with its own kind's handle (Slack member id, DingTalk /
    WeCom mobile or user id, Feishu open id, email address) and shows the name where there is
    none; handles come from configuration, never from outside text.
    """

    name: str
    slack: str | None = None
    email: str | None = None
    dingtalk: str | None = None
    wecom: str | None = None
    feishu: str | None = None

    def handle(self, kind: str) -> str | None:
        """The person's handle on channels of ``kind`` (slack, email, dingtalk ...), if any."""
        value = getattr(self, kind, None) if kind in _HANDLE_KINDS else None
        return value if isinstance(value, str) and value else None


_HANDLE_KINDS: Final = frozenset({"slack", "email", "dingtalk", "wecom", "feishu"})


@dataclass(frozen=True, kw_only=True)
class DigestEntry:
    """One incident folded into a digest message."""

    incident_id: str
    title: str
    grade: str
    entity: str
    category: str | None = None


@dataclass(frozen=True, kw_only=True)
class AlertMessage:
    """Everything a channel needs to render one incident event.

    ``event`` is one of EVENTS. ``sla`` holds ready lines such as "acknowledge within 15m";
    ``story`` one line about the incident's story ("3 sources, 41 mentions, first seen 2 h ago").
    ``members`` is only used by ``event="digest"`` (see alerts.grouping). ``recipients`` are
    the people the alert is addressed to (mentioned on each channel by their handle there);
    ``paging`` holds warnings about who could not be reached ("no one on call for
    risk-primary: sent to risk-slack"), shown first.
    """

    incident_id: str
    event: str
    title: str
    grade: str
    entity: str
    likelihood: int
    impact: int
    status: str
    created_at: datetime
    category: str | None = None
    story: str | None = None
    reasons: tuple[str, ...] = ()
    top_mentions: tuple[MentionRef, ...] = ()
    sla: tuple[str, ...] = ()
    checklist: tuple[str, ...] = ()
    scripts: tuple[ScriptRef, ...] = ()
    escalation_level: int = 0
    drill: bool = False
    note: str | None = None
    dashboard_url: str | None = None
    members: tuple[DigestEntry, ...] = ()
    recipients: tuple[Recipient, ...] = ()
    paging: tuple[str, ...] = ()
    timezone: str = "UTC"  # IANA zone the renderers show times in (the organisation's)

    def __post_init__(self) -> None:
        if self.event not in EVENTS:
            raise ValueError(f"AlertMessage.event: unknown event {self.event!r}")

    @property
    def dedup_key(self) -> str:
        """Stable id of this (incident, event, time): receivers use it to drop retried copies."""
        raw = "\x1f".join((self.incident_id, self.event, as_utc(self.created_at).isoformat()))
        return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class ThreadRef:
    """Where an incident's thread lives on one channel, as returned by its first delivery.

    Slack: ``thread_id`` is the root message ts and ``conversation`` the channel ID (C...).
    Email: ``thread_id`` is the root Message-ID.
    """

    thread_id: str
    conversation: str | None = None


@dataclass(frozen=True)
class DeliveryResult:
    """Outcome of a successful send.

    ``remote_id`` identifies the message just sent (Slack ts, email Message-ID); ``thread_id``
    and ``conversation`` are what the caller stores to thread later events (see ``thread``).
    ``warnings`` lists non-fatal problems, e.g. a root-message update that failed after the
    thread reply itself was delivered.
    """

    channel: str
    remote_id: str | None = None
    thread_id: str | None = None
    conversation: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def thread(self) -> ThreadRef | None:
        """The ThreadRef to pass with the incident's next event on this channel, if any."""
        if self.thread_id is None:
            return None
        return ThreadRef(thread_id=self.thread_id, conversation=self.conversation)
