"""Mentions that need a reply, with their deadline and first reply: for ``crisiswatch
replies``, the digest's next steps and the service's overdue gauge.

A reply is overdue when its deadline has passed and nobody has replied yet; a reply made
after the deadline is late, not overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from monitor.db.models import Mention, MentionEntity, Reply, ReplyDeadline
from monitor.replies.record import first_replies


@dataclass(frozen=True, slots=True)
class ReplyRow:
    """A mention that needs a reply: its deadline and, once replied, its first reply."""

    mention_id: int
    source_id: str
    author: str | None
    text: str
    url: str | None
    entities: tuple[str, ...]
    intent: str
    basis: str
    published: datetime
    due_at: datetime
    replied_at: datetime | None = None
    replied_by: str | None = None
    verified: bool = False
    via: str | None = None

    def overdue(self, now: datetime) -> bool:
        """True when the deadline has passed and nobody has replied."""
        return self.replied_at is None and now > self.due_at

    def late(self) -> bool:
        """True when the first reply came after the deadline."""
        return self.replied_at is not None and self.replied_at > self.due_at

    def left(self, now: datetime) -> timedelta:
        """Time left before the deadline (negative: overdue by that much)."""
        return self.due_at - now


def _unreplied() -> object:
    return ~exists().where(Reply.mention_id == ReplyDeadline.mention_id)


def reply_rows(
    session: Session,
    *,
    now: datetime,
    overdue: bool = False,
    entity: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[ReplyRow]:
    """Mentions that need a reply, soonest deadline first (``overdue``: only those overdue
    now, most overdue first), optionally only those about ``entity``; with ``since``, those
    replied to only when published since then (every one still awaiting a reply is kept)."""
    stmt = select(ReplyDeadline, Mention).join(Mention, Mention.id == ReplyDeadline.mention_id)
    if entity is not None:
        stmt = stmt.where(
            exists().where(
                MentionEntity.mention_id == ReplyDeadline.mention_id,
                MentionEntity.entity_id == entity,
            )
        )
    if overdue:
        stmt = stmt.where(ReplyDeadline.due_at < now, _unreplied())  # type: ignore[arg-type]
    if since is not None:
        stmt = stmt.where(or_(ReplyDeadline.started_at >= since, _unreplied()))  # type: ignore[arg-type]
    stmt = stmt.order_by(ReplyDeadline.due_at, ReplyDeadline.mention_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    found = session.execute(stmt).all()
    replies = first_replies(session, (d.mention_id for d, _ in found))
    rows = []
    for deadline, mention in found:
        reply = replies.get(deadline.mention_id)
        rows.append(
            ReplyRow(
                mention_id=mention.id,
                source_id=mention.source_id,
                author=mention.author,
                text=mention.text,
                url=mention.url,
                entities=tuple(str(e) for e in mention.entities or ()),
                intent=deadline.intent,
                basis=deadline.basis,
                published=deadline.started_at,
                due_at=deadline.due_at,
                replied_at=None if reply is None else reply.replied_at,
                replied_by=None if reply is None else reply.replied_by,
                verified=False if reply is None else reply.verified,
                via=None if reply is None else reply.via,
            )
        )
    return rows


def overdue_replies(
    session: Session, *, now: datetime, entity: str | None = None, limit: int | None = 20
) -> list[ReplyRow]:
    """Replies overdue at ``now``, most overdue first (the digest's next steps)."""
    return reply_rows(session, now=now, overdue=True, entity=entity, limit=limit)


def overdue_count(session: Session, *, now: datetime) -> int:
    """How many replies are overdue at ``now``."""
    stmt = (
        select(func.count())
        .select_from(ReplyDeadline)
        .where(ReplyDeadline.due_at < now, _unreplied())  # type: ignore[arg-type]
    )
    return int(session.scalar(stmt) or 0)
