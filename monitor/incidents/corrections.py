"""A responder corrects the grouping: merge two incidents, split or move mentions, link two.

- ``merge_incidents(A, B)``: B's story joins A's for good; B's mentions, timeline and alerts
  move to A, which is regraded (a rise alerts once, in A's thread); B is closed as merged and
  points to A.
- ``split_incident(A, mentions)``: the mentions leave A's story for a new story, and its own
  incident when they reach the floor; A is regraded from what stays.
- ``move_mention(M, to=B)``: one mention goes to B's story and incident.
- ``link_incidents(A, B)``: two stories are related; both stay as they are.

Every correction is a label (``same_story``, ``different_story``, ``related_story``) with the
text it is about, for tuning the story engine; and a timeline event on each incident.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from monitor.db.models import (
    Alert,
    Incident,
    IncidentEvent,
    IncidentMention,
    Label,
    Mention,
    StoryLink,
)
from monitor.incidents.aggregate import Tracked, assess_incident
from monitor.incidents.context import IncidentContext
from monitor.incidents.escalation import active_silences
from monitor.incidents.finish import AssignResult, finish_incident
from monitor.incidents.grouping import assign_incidents
from monitor.incidents.lifecycle import (
    IncidentNotFound,
    LifecycleError,
    announce,
    check_name,
    stop_escalation,
)
from monitor.incidents.loading import load_scored
from monitor.incidents.states import ACTIVE, MERGED
from monitor.incidents.story_corrections import merge_stories, move_to_story
from monitor.stories.model import StoryParams
from playbooks import grade_rank

LABEL_TEXT_CHARS = 5000


@dataclass(frozen=True)
class StoryRules:
    """What corrections need of the story engine's configuration."""

    params: StoryParams
    names: Mapping[str, Iterable[str]]


@dataclass(frozen=True)
class Correction:
    """What a correction did."""

    incident_id: int
    other_id: int | None
    moved: int = 0
    alerts: int = 0


def _incident(session: Session, incident_id: int) -> Incident:
    incident = session.scalars(
        select(Incident).where(Incident.id == incident_id).with_for_update()
    ).first()
    if incident is None:
        raise IncidentNotFound(f"no incident #{incident_id}")
    if incident.state == MERGED:
        raise LifecycleError(f"incident #{incident_id} was merged into #{incident.merged_into}; "
                             "correct that one")
    return incident


def merge_incidents(
    session: Session, *, ctx: IncidentContext, stories: StoryRules, into: int, other: int,
    by: str, now: datetime,
) -> Correction:
    """Merge incident ``other`` into ``into`` (see module doc)."""
    who = check_name(by)
    if into == other:
        raise LifecycleError("an incident cannot be merged into itself")
    target, gone = _incident(session, into), _incident(session, other)
    if gone.story_id is not None and target.story_id is not None:
        merge_stories(session, into=target.story_id, other=gone.story_id,
                      params=stories.params, names=stories.names, now=now)
    moved = _mention_ids(session, gone.id)
    already = set(_mention_ids(session, target.id))
    fresh = [m for m in moved if m not in already]
    session.execute(delete(IncidentMention).where(IncidentMention.incident_id == gone.id))
    if fresh:
        session.execute(insert(IncidentMention),
                        [{"incident_id": target.id, "mention_id": m} for m in fresh])
    session.execute(update(IncidentEvent).where(IncidentEvent.incident_id == gone.id)
                    .values(incident_id=target.id))
    session.execute(update(Alert).where(Alert.incident_id == gone.id, Alert.status == "pending")
                    .values(incident_id=target.id))
    _label(session, kind="same_story", incident=target, mention_id=_first(moved),
           value=f"#{gone.id}", text=gone.title, by=who, now=now)
    _close_merged(session, ctx=ctx, incident=gone, into=target, by=who, now=now)
    result = _regrade(session, ctx=ctx, incident=target, added=fresh, now=now)
    _event(session, target, "merged", who, now, merged=gone.id, mentions=len(fresh))
    session.flush()
    return Correction(target.id, gone.id, moved=len(fresh), alerts=result.alerts)


def split_incident(
    session: Session, *, ctx: IncidentContext, stories: StoryRules, incident_id: int,
    mention_ids: Sequence[int], by: str, now: datetime,
) -> Correction:
    """The mentions are another story: a new story, and an incident when they reach the floor."""
    who = check_name(by)
    incident = _incident(session, incident_id)
    wanted = _owned(session, incident, mention_ids)
    if len(wanted) == len(_mention_ids(session, incident.id)):
        raise LifecycleError(f"every mention of #{incident.id} was named: nothing would stay")
    story = move_to_story(session, mention_ids=wanted, story=None, params=stories.params,
                          names=stories.names, now=now)
    opened = _take_out(session, ctx=ctx, incident=incident, mention_ids=wanted, now=now)
    for mid in wanted:
        _label(session, kind="different_story", incident=incident, mention_id=mid,
               value=f"story {story}", text=None, by=who, now=now)
    result = assign_incidents(session, ctx=ctx, mentions=load_scored(
        session, ctx=ctx, mention_ids=wanted, now=now), now=now)
    new = result.opened[0] if result.opened else None
    _event(session, incident, "split", who, now, mentions=len(wanted), into=new, story=story)
    session.flush()
    return Correction(incident.id, new, moved=len(wanted), alerts=opened + result.alerts)


def move_mention(
    session: Session, *, ctx: IncidentContext, stories: StoryRules, mention_id: int,
    to: int, by: str, now: datetime,
) -> Correction:
    """One mention belongs to incident ``to``'s story (and incident)."""
    who = check_name(by)
    target = _incident(session, to)
    if target.story_id is None:
        raise LifecycleError(f"incident #{to} has no story (it was opened on volume alone)")
    mention = session.get(Mention, mention_id)
    if mention is None:
        raise IncidentNotFound(f"no mention #{mention_id}")
    source = session.scalar(
        select(IncidentMention.incident_id).where(IncidentMention.mention_id == mention_id)
    )
    move_to_story(session, mention_ids=[mention_id], story=target.story_id,
                  params=stories.params, names=stories.names, now=now)
    alerts = 0
    if source is not None and source != to:
        alerts += _take_out(session, ctx=ctx, incident=_incident(session, source),
                            mention_ids=[mention_id], now=now)
    if source != to:
        session.execute(insert(IncidentMention), [{"incident_id": to, "mention_id": mention_id}])
        alerts += _regrade(session, ctx=ctx, incident=target, added=[mention_id], now=now).alerts
    _label(session, kind="different_story", incident=target, mention_id=mention_id,
           value=f"story {target.story_id}", text=None, by=who, now=now)
    _event(session, target, "mention_moved", who, now, mention=mention_id, came_from=source)
    session.flush()
    return Correction(to, source, moved=1, alerts=alerts)


def link_incidents(
    session: Session, *, a: int, b: int, by: str, now: datetime,
) -> Correction:
    """Two stories are related (a rumour about an accident, say): both stay as they are."""
    who = check_name(by)
    first, second = _incident(session, a), _incident(session, b)
    if first.story_id is None or second.story_id is None or first.story_id == second.story_id:
        raise LifecycleError("link needs two incidents of two different stories")
    pair = tuple(sorted((first.story_id, second.story_id)))
    exists = session.get(StoryLink, pair)
    if exists is None:
        session.add(StoryLink(story_id=pair[0], other_id=pair[1], created_by=who,
                              created_at=now))
    _label(session, kind="related_story", incident=first, mention_id=None,
           value=f"#{second.id}", text=second.title, by=who, now=now)
    for one, two in ((first, second), (second, first)):
        _event(session, one, "linked", who, now, related=two.id)
    session.flush()
    return Correction(first.id, second.id)


def _mention_ids(session: Session, incident_id: int) -> list[int]:
    return list(session.scalars(
        select(IncidentMention.mention_id).where(IncidentMention.incident_id == incident_id)
        .order_by(IncidentMention.mention_id)
    ))


def _owned(session: Session, incident: Incident, mention_ids: Sequence[int]) -> list[int]:
    owned = set(_mention_ids(session, incident.id))
    strangers = sorted(set(mention_ids) - owned)
    if strangers:
        raise LifecycleError(f"mention #{strangers[0]} is not evidence of #{incident.id}")
    if not mention_ids:
        raise LifecycleError("name at least one mention (--mentions 12,13)")
    return sorted(set(mention_ids))


def _first(ids: Sequence[int]) -> int | None:
    return ids[0] if ids else None


def _take_out(
    session: Session, *, ctx: IncidentContext, incident: Incident, mention_ids: Sequence[int],
    now: datetime,
) -> int:
    """Remove mentions from an incident and regrade it from what stays (no alert on a fall)."""
    session.execute(delete(IncidentMention).where(
        IncidentMention.incident_id == incident.id, IncidentMention.mention_id.in_(mention_ids)
    ))
    return _regrade(session, ctx=ctx, incident=incident, added=[], now=now).alerts


def _regrade(
    session: Session, *, ctx: IncidentContext, incident: Incident, added: Sequence[int],
    now: datetime,
) -> AssignResult:
    """Count the incident's evidence again from its mentions and regrade it; new evidence
    (``added``) is recorded and may raise the grade (one alert, in its thread)."""
    for name in ("mention_count", "negative_count", "neutral_count", "positive_count",
                 "reach_total"):
        setattr(incident, name, 0)
    incident.stats, incident.top_sources, incident.top_authors = {}, [], []
    incident.categories = {}
    tracked = Tracked.wrap(incident)
    tracked.first_seen = tracked.last_seen = incident.first_seen_at
    mentions = load_scored(session, ctx=ctx, mention_ids=_mention_ids(session, incident.id),
                           now=now)
    if mentions:
        tracked.first_seen, tracked.last_seen = mentions[0].at, mentions[-1].at
    for mention in mentions:
        tracked.add(mention, ctx=ctx)
    result = AssignResult()
    if added:
        tracked.new_mentions = list(added)
        silences = active_silences(session, now=now)
        finish_incident(session, ctx=ctx, tracked=tracked, readings={}, now=now,
                        silences=silences, result=result)
        return result
    tracked.store()
    assessment = assess_incident(tracked, ctx=ctx, spread=None)
    incident.grade, incident.likelihood, incident.impact = (
        assessment.grade, assessment.likelihood, assessment.impact)
    incident.reasons = list(assessment.reasons)
    if grade_rank(assessment.grade) > grade_rank(incident.peak_grade):
        incident.peak_grade = assessment.grade
    incident.updated_at = now
    return result


def _close_merged(
    session: Session, *, ctx: IncidentContext, incident: Incident, into: Incident,
    by: str | None, now: datetime,
) -> None:
    was_active = incident.state in ACTIVE
    incident.state, incident.merged_into = MERGED, into.id
    incident.resolved_at, incident.resolved_by = now, by
    incident.resolution_note = f"merged into #{into.id}"
    incident.updated_at = now
    stop_escalation(incident, now)
    _event(session, incident, "merged_into", by, now, into=into.id)
    if was_active:  # tell the thread it carries on elsewhere
        announce(session, ctx=ctx, incident=incident, event="resolved", now=now,
                  note=f"merged into incident #{into.id} by {by}", by=by)


def _label(
    session: Session, *, kind: str, incident: Incident, mention_id: int | None, value: str,
    text: str | None, by: str | None, now: datetime,
) -> None:
    mention = session.get(Mention, mention_id) if mention_id is not None else None
    body = text if text is not None else (mention.text if mention is not None else "")
    session.add(Label(
        mention_id=mention_id, incident_id=incident.id, kind=kind, value=value[:64],
        text=(body or "")[:LABEL_TEXT_CHARS], lang=mention.lang if mention is not None else None,
        created_by=by or "unknown", created_at=now,
    ))


def _event(session: Session, incident: Incident, kind: str, by: str | None, now: datetime,
           **detail: object) -> None:
    session.add(IncidentEvent(
        incident_id=incident.id, at=now, kind=kind, actor=by, grade=incident.grade,
        detail={k: v for k, v in detail.items() if v is not None},
    ))
