"""The batch step that gives a batch's new mentions their reply deadlines and stores the
replies their export rows carried (``replied_at``, ``replied_by``), in the batch's transaction.

Deadlines are computed once, when a mention is stored: listing and counting overdue replies
then reads one indexed table, and a deadline stays what it was when the message came in
whatever the configuration becomes. Most mentions need no reply and cost one dictionary
lookup and a look at the score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from monitor.db.models import ReplyDeadline
from monitor.pipeline.store import NewMention
from monitor.replies.policy import ReplyPolicy
from monitor.replies.record import imported_reply, insert_replies


@dataclass(frozen=True)
class ReplyStep:
    """Reply deadlines and imported replies for a batch's new mentions."""

    policy: ReplyPolicy
    people: frozenset[str] = frozenset()  # configured person ids: imported names verified

    def __call__(self, session: Session, *, mentions: Sequence[NewMention], now: datetime) -> None:
        deadlines: list[dict[str, Any]] = []
        replies: list[dict[str, Any]] = []
        policy = self.policy
        for mention in mentions:
            cand = mention.candidate
            need = policy.need(source_id=mention.source_id, text=cand.text, score=mention.score)
            if need is not None:
                due = policy.deadline(
                    intent=need.intent, start=mention.published, entities=cand.entities
                )
                deadlines.append(
                    {
                        "mention_id": mention.id,
                        "intent": need.intent,
                        "basis": need.basis,
                        "started_at": mention.published,
                        "due_at": due.due_at,
                        "hours": due.hours,
                        "reminded_at": None,
                        "created_at": now,
                    }
                )
            if cand.item.extra:
                row = imported_reply(mention.id, cand.item.extra, now=now)
                if row is not None:
                    row["verified"] = row["replied_by"] in self.people
                    replies.append(row)
        if deadlines:
            session.execute(insert(cast(Table, ReplyDeadline.__table__)), deadlines)
        insert_replies(session, replies)
