"""What a reviewer does to a mention from the console or the API: labels, each audited.

As ``monitor.web.actions`` does for incidents, each function runs the review library and the
audit entry (``mention.label``) in one transaction, as the caller (``Principal.actor``).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from monitor.review.labels import StoredLabel, confirm_mention, record_review
from monitor.users.audit import record
from monitor.web.auth import Principal
from monitor.web.context import WebContext


def label(web: WebContext, *, who: Principal, mention_id: int,
          values: Mapping[str, str]) -> list[StoredLabel]:
    """Record the reviewer's values (kind -> value) for the mention."""
    now = web.clock()
    with web.transaction() as session:
        labels = record_review(session, mention_id=mention_id, values=values, by=who.actor,
                               now=now, categories=web.app.incidents.categories)
        stored = [StoredLabel.of(lab) for lab in labels]
        _audit(web, who, session, mention_id, stored, confirmed=False)
    return stored


def confirm(web: WebContext, *, who: Principal, mention_id: int) -> list[StoredLabel]:
    """Record that the machines' values are right."""
    now = web.clock()
    with web.transaction() as session:
        labels = confirm_mention(session, mention_id=mention_id, by=who.actor, now=now,
                                 categories=web.app.incidents.categories)
        stored = [StoredLabel.of(lab) for lab in labels]
        _audit(web, who, session, mention_id, stored, confirmed=True)
    return stored


def _audit(web: WebContext, who: Principal, session: Session, mention_id: int,
           stored: list[StoredLabel], *, confirmed: bool) -> None:
    record(session, actor=who.user, action="mention.label", target=f"mention #{mention_id}",
           now=web.clock(), via=who.via, address=who.address,
           detail={"labels": {s.kind: s.value for s in stored}, "confirmed": confirmed})
