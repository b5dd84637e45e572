"""Post-incident reviews (复盘) and their action items: read, edit, change an item's state.

A review belongs to one incident and is stored the first time someone edits it. Every edit
records who made it and when (``now`` is the injected clock's); so does every change of an
action item's state (open, done, dropped). The timeline is never stored: ``review_view``
generates it from the incident's events, so it always agrees with ``incident show``.
Bad input raises ``ReviewError`` with one line naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.sanitize import one_line
from monitor.db.models import ActionItem, Incident, IncidentEvent, Review
from monitor.incidents.lifecycle import LifecycleError
from monitor.incidents.states import ACTION_OPEN, ACTION_STATES
from monitor.incidents.views import describe_event

# the timeline leaves out each batch of new evidence: the counts are in the incident's summary
_NOT_IN_TIMELINE = frozenset({"evidence"})
MAX_TEXT = 4000
MAX_NAME = 128


class ReviewError(LifecycleError):
    """A review or action item that does not exist, or bad input (one line for the user)."""


@dataclass(frozen=True, slots=True)
class ActionDraft:
    """A new action item (``id`` None) or the new values of an existing one."""

    text: str
    owner: str
    due_at: datetime
    state: str = ACTION_OPEN
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ReviewChange:
    """What one edit changes; None leaves that part as it is."""

    summary: str | None = None
    causes: tuple[str, ...] | None = None
    went_well: tuple[str, ...] | None = None
    went_badly: tuple[str, ...] | None = None
    revisions: tuple[str, ...] | None = None
    actions: tuple[ActionDraft, ...] = ()
    completed: bool | None = None


@dataclass(frozen=True, slots=True)
class ActionView:
    """One action item with its incident, as lists, exports and the digest show it."""

    id: int
    incident_id: int
    incident_title: str
    text: str
    owner: str
    due_at: datetime
    state: str
    overdue: bool
    created_at: datetime
    created_by: str
    state_changed_at: datetime
    state_changed_by: str
    jira_key: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, times in ISO 8601."""
        return {
            "id": self.id,
            "incident_id": self.incident_id,
            "incident_title": self.incident_title,
            "text": self.text,
            "owner": self.owner,
            "due_at": self.due_at.isoformat(),
            "state": self.state,
            "overdue": self.overdue,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "state_changed_at": self.state_changed_at.isoformat(),
            "state_changed_by": self.state_changed_by,
            "jira_key": self.jira_key,
        }


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class ReviewView:
    """A review as shown and exported: the stored parts, the generated timeline, the items.

    ``stored`` is False for an incident nobody has reviewed yet (every part empty)."""

    incident_id: int
    incident_title: str
    incident_state: str
    grade: str
    peak_grade: str
    opened_at: datetime
    resolved_at: datetime | None
    stored: bool
    summary: str = ""
    causes: tuple[str, ...] = ()
    went_well: tuple[str, ...] = ()
    went_badly: tuple[str, ...] = ()
    revisions: tuple[str, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    actions: tuple[ActionView, ...] = ()
    updated_at: datetime | None = None
    updated_by: str | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    drill: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, times in ISO 8601."""

        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment is not None else None

        return {
            "incident_id": self.incident_id,
            "incident_title": self.incident_title,
            "incident_state": self.incident_state,
            "grade": self.grade,
            "peak_grade": self.peak_grade,
            "opened_at": iso(self.opened_at),
            "resolved_at": iso(self.resolved_at),
            "stored": self.stored,
            "summary": self.summary,
            "causes": list(self.causes),
            "went_well": list(self.went_well),
            "went_badly": list(self.went_badly),
            "revisions": list(self.revisions),
            "timeline": [{"at": e.at.isoformat(), "text": e.text} for e in self.timeline],
            "actions": [a.to_dict() for a in self.actions],
            "updated_at": iso(self.updated_at),
            "updated_by": self.updated_by,
            "completed_at": iso(self.completed_at),
            "completed_by": self.completed_by,
        }


def _incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise ReviewError(f"no incident #{incident_id}")
    return incident


def _review(session: Session, incident_id: int) -> Review | None:
    return session.scalars(select(Review).where(Review.incident_id == incident_id)).first()


def is_overdue(item: ActionItem, now: datetime) -> bool:
    """Still open after its due time."""
    return item.state == ACTION_OPEN and item.due_at < now


def _action_view(item: ActionItem, incident: Incident, now: datetime) -> ActionView:
    return ActionView(
        id=item.id,
        incident_id=incident.id,
        incident_title=incident.title,
        text=item.text,
        owner=item.owner,
        due_at=item.due_at,
        state=item.state,
        overdue=is_overdue(item, now),
        created_at=item.created_at,
        created_by=item.created_by,
        state_changed_at=item.state_changed_at,
        state_changed_by=item.state_changed_by,
        jira_key=item.jira_key,
    )


def timeline(session: Session, *, incident_id: int) -> tuple[TimelineEntry, ...]:
    """The incident's events as the review shows them (new evidence left out), oldest first."""
    events = session.scalars(
        select(IncidentEvent)
        .where(
            IncidentEvent.incident_id == incident_id, IncidentEvent.kind.not_in(_NOT_IN_TIMELINE)
        )
        .order_by(IncidentEvent.at, IncidentEvent.id)
    )
    return tuple(TimelineEntry(at=e.at, text=_event_text(e)) for e in events)


def _event_text(event: IncidentEvent) -> str:
    if event.kind == "opened":  # its detail holds the volume figures, which read oddly here
        return f"opened at grade {event.grade}" if event.grade else "opened"
    return describe_event(
        {
            "kind": event.kind,
            "actor": event.actor,
            "grade": event.grade,
            "detail": event.detail or {},
        }
    )


def review_view(session: Session, *, incident_id: int, now: datetime) -> ReviewView:
    """The incident's review (an empty one when none is stored) with timeline and items."""
    incident = _incident(session, incident_id)
    review = _review(session, incident_id)
    base = ReviewView(
        incident_id=incident.id,
        incident_title=incident.title,
        incident_state=incident.state,
        grade=incident.grade,
        peak_grade=incident.peak_grade,
        opened_at=incident.opened_at,
        resolved_at=incident.resolved_at,
        stored=False,
        timeline=timeline(session, incident_id=incident_id),
        drill=incident.drill,
    )
    if review is None:
        return base
    items = session.scalars(
        select(ActionItem).where(ActionItem.review_id == review.id).order_by(ActionItem.id)
    )
    return replace(
        base,
        stored=True,
        summary=review.summary,
        causes=tuple(review.causes),
        went_well=tuple(review.went_well),
        went_badly=tuple(review.went_badly),
        revisions=tuple(review.revisions),
        actions=tuple(_action_view(i, incident, now) for i in items),
        updated_at=review.updated_at,
        updated_by=review.updated_by,
        completed_at=review.completed_at,
        completed_by=review.completed_by,
    )


def _text(value: str, what: str, *, limit: int = MAX_TEXT, blank_ok: bool = False) -> str:
    text = value.strip()
    if not text and not blank_ok:
        raise ReviewError(f"{what}: must not be empty")
    if len(text) > limit:
        raise ReviewError(f"{what}: longer than {limit} characters")
    return text


def _name(value: str, what: str) -> str:
    name = one_line(value, MAX_NAME + 1).strip()
    if not name:
        raise ReviewError(f"{what}: must not be empty")
    if len(name) > MAX_NAME:
        raise ReviewError(f"{what}: longer than {MAX_NAME} characters")
    return name


def _lines(values: tuple[str, ...], what: str) -> list[str]:
    return [_text(v, f"{what}[{i}]") for i, v in enumerate(values)]


def edit_review(
    session: Session, *, incident_id: int, change: ReviewChange, by: str, now: datetime
) -> Review:
    """Apply ``change`` to the incident's review (stored now if it was not), as ``by``."""
    incident = _incident(session, incident_id)
    who = _name(by, "--by")
    review = _review(session, incident_id)
    if review is None:
        review = Review(
            incident_id=incident.id,
            summary="",
            causes=[],
            went_well=[],
            went_badly=[],
            revisions=[],
            created_at=now,
            created_by=who,
            updated_at=now,
            updated_by=who,
        )
        session.add(review)
        session.flush()
    if change.summary is not None:
        review.summary = _text(change.summary, "summary", blank_ok=True)
    for name in ("causes", "went_well", "went_badly", "revisions"):
        values: tuple[str, ...] | None = getattr(change, name)
        if values is not None:
            setattr(review, name, _lines(values, name))
    for index, draft in enumerate(change.actions):
        _apply_action(session, review, draft, what=f"actions[{index}]", by=who, now=now)
    if change.completed is True and review.completed_at is None:
        review.completed_at, review.completed_by = now, who
    elif change.completed is False:
        review.completed_at, review.completed_by = None, None
    review.updated_at, review.updated_by = now, who
    session.flush()
    return review


def _state(value: str, what: str) -> str:
    if value not in ACTION_STATES:
        raise ReviewError(f"{what}: expected one of {', '.join(ACTION_STATES)}, got {value!r}")
    return value


def _apply_action(
    session: Session, review: Review, draft: ActionDraft, *, what: str, by: str, now: datetime
) -> None:
    text = _text(draft.text, f"{what}.text")
    owner = _name(draft.owner, f"{what}.owner")
    state = _state(draft.state, f"{what}.state")
    if draft.id is None:
        session.add(
            ActionItem(
                review_id=review.id,
                text=text,
                owner=owner,
                due_at=draft.due_at,
                state=state,
                created_at=now,
                created_by=by,
                state_changed_at=now,
                state_changed_by=by,
            )
        )
        return
    item = session.get(ActionItem, draft.id)
    if item is None or item.review_id != review.id:
        raise ReviewError(f"{what}.id: no action item #{draft.id} in this review")
    item.text, item.owner, item.due_at = text, owner, draft.due_at
    if item.state != state:
        item.state, item.state_changed_at, item.state_changed_by = state, now, by


def set_action_state(
    session: Session, *, action_id: int, state: str, by: str, now: datetime
) -> ActionView:
    """Mark an action item open, done or dropped, recording who and when."""
    item = session.get(ActionItem, action_id)
    if item is None:
        raise ReviewError(f"no action item #{action_id}")
    new = _state(state, "state")
    if item.state == new:
        raise ReviewError(
            f"action item #{action_id} is already {new} "
            f"(since {item.state_changed_at.isoformat()}, by {item.state_changed_by})"
        )
    item.state, item.state_changed_at, item.state_changed_by = new, now, _name(by, "--by")
    session.flush()
    review = session.get(Review, item.review_id)
    assert review is not None
    return _action_view(item, _incident(session, review.incident_id), now)


def list_actions(
    session: Session,
    *,
    now: datetime,
    overdue: bool = False,
    states: tuple[str, ...] = (ACTION_OPEN,),
    incident_id: int | None = None,
    limit: int | None = None,
) -> list[ActionView]:
    """Action items in ``states`` (only the overdue open ones with ``overdue``), due first."""
    stmt = (
        select(ActionItem, Incident)
        .join(Review, Review.id == ActionItem.review_id)
        .join(Incident, Incident.id == Review.incident_id)
        .where(ActionItem.state.in_([_state(s, "state") for s in states]))
        .order_by(ActionItem.due_at, ActionItem.id)
    )
    if overdue:
        stmt = stmt.where(ActionItem.state == ACTION_OPEN, ActionItem.due_at < now)
    if incident_id is not None:
        stmt = stmt.where(Incident.id == incident_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_action_view(item, incident, now) for item, incident in session.execute(stmt)]
