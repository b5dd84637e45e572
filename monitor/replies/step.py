"""The batch step that gives a batch's new mentions their reply deadlines and stores the
replies their export rows carried (``replied_at``, ``replied_by``), in the batch's transaction.

Deadlines are computed once, when a mention is stored: listing and counting overdue replies
then reads one indexed table, and a deadline stays what it was when the message came in
whatever the configuration becomes. Most mentions need no reply and cost one dictionary
lookup and a look at the score.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from monitor.db.models import Mention
from monitor.pipeline import store_pg, store_sqlite
from monitor.pipeline.store import ID_CHARS, Candidate, NewMention
from monitor.replies.policy import ReplyPolicy
from monitor.replies.record import imported_reply, insert_replies


@dataclass(frozen=True)
class ReplyStep:
    """Reply deadlines and imported replies for a batch's new mentions."""

    policy: ReplyPolicy
    people: frozenset[str] = frozenset()  # configured person ids: imported names verified

    def __call__(self, session: Session, *, mentions: Sequence[NewMention], now: datetime) -> None:
        conn = session.connection()
        when = _stored_datetime(conn)
        deadlines: list[tuple[Any, ...]] = []
        replies: list[dict[str, Any]] = []
        policy = self.policy
        created = when(now)
        for mention in mentions:
            cand = mention.candidate
            need = policy.need(source_id=mention.source_id, text=cand.text, score=mention.score)
            if need is not None:
                due = policy.deadline(
                    intent=need.intent, start=mention.published, entities=cand.entities
                )
                deadlines.append(
                    (
                        mention.id,
                        need.intent,
                        need.basis,
                        when(mention.published),
                        when(due.due_at),
                        due.hours,
                        created,
                    )
                )
            if cand.item.extra:
                row = imported_reply(mention.id, cand.item.extra, now=now)
                if row is not None:
                    row["verified"] = row["replied_by"] in self.people
                    replies.append(row)
        if deadlines:
            mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            conn.exec_driver_sql(
                f"INSERT INTO reply_deadlines ({_COLUMNS}) VALUES ({', '.join([mark] * 7)})",
                deadlines,
            )
        insert_replies(session, replies)

    def seen_again(
        self, session: Session, *, source_id: str, candidates: Sequence[Candidate], now: datetime
    ) -> None:
        """Store the replies that rows already stored carry now (a later export of the same
        messages, with the reply filled in)."""
        carrying = {
            c.item.external_id[:ID_CHARS]: c.item.extra
            for c in candidates
            if c.item.extra and "replied_at" in c.item.extra
        }
        if not carrying:
            return
        stored = session.execute(
            select(Mention.external_id, Mention.id).where(
                Mention.source_id == source_id, Mention.external_id.in_(list(carrying))
            )
        )
        replies = []
        for external_id, mention_id in stored:
            row = imported_reply(mention_id, carrying[external_id], now=now)
            if row is not None:
                row["verified"] = row["replied_by"] in self.people
                replies.append(row)
        insert_replies(session, replies)


_COLUMNS = "mention_id, intent, basis, started_at, due_at, hours, created_at"


def _stored_datetime(conn: Connection) -> Callable[[datetime], Any]:
    """Datetimes as the ORM stores them on this connection's database (the rows go through
    the driver, as the mentions' do: a batch can hold thousands)."""
    return (
        store_pg.stored_datetime
        if conn.dialect.name == "postgresql"
        else (store_sqlite.stored_datetime)
    )
