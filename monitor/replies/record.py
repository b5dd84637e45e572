"""Recording replies to mentions: one row per reply (who, when, note, and how it was recorded:
``cli``, ``slack`` or ``import``); the same reply imported again is stored once.

Who replied is a configured person's id when people are configured (``verified``); with no
people configured, the name as given, recorded as unverified.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.db.models import Mention, Reply, ReplyDeadline

if TYPE_CHECKING:
    from config.roster import Roster

VIA = ("cli", "slack", "import")
NOTE_CHARS = 2000
BY_CHARS = 128


class ReplyError(Exception):
    """A reply that cannot be recorded (unknown mention or person); one line."""


@dataclass(frozen=True, slots=True)
class Replier:
    """Who replied, as recorded."""

    name: str
    verified: bool


def replier(roster: Roster, given: str) -> Replier:
    """The person ``given`` names: a configured person's id (ReplyError with "did you mean"
    otherwise) when people are configured, else the name as given, unverified."""
    from config.roster import UnknownPerson

    name = " ".join(given.split())[:BY_CHARS]
    if not name:
        raise ReplyError("--by: name who replied")
    if not roster.configured:
        return Replier(name, verified=False)
    try:
        return Replier(roster.named(name).id, verified=True)
    except UnknownPerson as exc:
        raise ReplyError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class Recorded:
    """A reply recorded to a mention, and what it meant for the mention's deadline."""

    mention_id: int
    replied_at: datetime
    by: str
    due_at: datetime | None  # None: the mention needed no reply
    first: bool  # the mention's first reply (the one its deadline is measured by)


def record_reply(
    session: Session,
    *,
    mention_id: int,
    by: Replier,
    replied_at: datetime,
    note: str | None,
    via: str,
    now: datetime,
) -> Recorded:
    """Record a reply to ``mention_id``; ReplyError when there is no such mention."""
    if via not in VIA:
        raise ValueError(f"via must be one of {VIA}, got {via!r}")
    if session.get(Mention, mention_id) is None:
        raise ReplyError(f"no mention {mention_id}")
    earlier = session.scalar(
        select(Reply.replied_at)
        .where(Reply.mention_id == mention_id)
        .order_by(Reply.replied_at)
        .limit(1)
    )
    again = session.scalar(
        select(Reply.id).where(
            Reply.mention_id == mention_id, Reply.replied_at == replied_at, Reply.via == via
        )
    )
    if again is None:  # else the same reply recorded twice (a double press): kept once
        session.add(
            Reply(
                mention_id=mention_id,
                replied_at=replied_at,
                replied_by=by.name,
                verified=by.verified,
                note=(note or "").strip()[:NOTE_CHARS] or None,
                via=via,
                recorded_at=now,
            )
        )
    session.flush()
    deadline = session.get(ReplyDeadline, mention_id)
    return Recorded(
        mention_id=mention_id,
        replied_at=replied_at,
        by=by.name,
        due_at=None if deadline is None else deadline.due_at,
        first=again is None and (earlier is None or replied_at < earlier),
    )


def insert_replies(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert imported ``replies`` rows, skipping ones already stored."""
    if not rows:
        return
    table = cast(Table, Reply.__table__)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).on_conflict_do_nothing(
        index_elements=["mention_id", "replied_at", "via"]
    )
    session.execute(stmt, list(rows))


def imported_reply(mention_id: int, extra: Any, *, now: datetime) -> dict[str, Any] | None:
    """The ``replies`` row an export row's ``replied_at`` (and ``replied_by``) give, if any."""
    at = extra.get("replied_at") if extra else None
    if not isinstance(at, datetime):
        return None
    by = extra.get("replied_by")
    return {
        "mention_id": mention_id,
        "replied_at": at,
        "replied_by": by[:BY_CHARS] if isinstance(by, str) and by else None,
        "verified": False,
        "note": None,
        "via": "import",
        "recorded_at": now,
    }


def first_replies(session: Session, mention_ids: Iterable[int]) -> dict[int, Reply]:
    """The first reply to each of ``mention_ids`` that has one."""
    ids = list(mention_ids)
    out: dict[int, Reply] = {}
    for start in range(0, len(ids), 500):
        stmt = select(Reply).where(Reply.mention_id.in_(ids[start : start + 500]))
        for reply in session.scalars(stmt.order_by(Reply.replied_at, Reply.id)):
            out.setdefault(reply.mention_id, reply)
    return out
