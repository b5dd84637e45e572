"""/api/v1/mentions: search the stored mentions, read one, and label one (the review queue's
answer, stored for ``crisiswatch train``).

Search is ``monitor.search.mentions``; labels go through ``monitor.web.labelling`` (validated
by ``monitor.review.labels`` and audited as ``mention.label``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from monitor.db.models import Label, Mention
from monitor.review.labels import REVIEW_KINDS, StoredLabel, get_mention
from monitor.search.links import incidents_of
from monitor.search.mentions import search_mentions
from monitor.web import labelling
from monitor.web.api.schemas import ERRORS, ErrorOut, Paged
from monitor.web.auth import Principal, require, web_context
from monitor.web.mention_query import mention_filter
from monitor.web.paging import Window, window

router = APIRouter(prefix="/mentions", tags=["mentions"], responses=ERRORS,
                   dependencies=[require("viewer")])


class MentionOut(BaseModel):
    """One stored mention with the machines' scores."""

    id: int
    source: str = Field(description="Source id (an inbox file's is `inbox/<platform>`).")
    url: str | None = Field(description="Where it was published, when known.")
    title: str | None
    author: str | None
    author_reach: int | None = Field(description="The author's followers, when known.")
    published_at: datetime = Field(description="When it was published (UTC).")
    lang: str | None = Field(description="Detected language: zh, en, ...")
    text: str = Field(description="The text as collected (plain text: escape it to show it).")
    entities: list[str] = Field(description="Ids of the watched entities it matched.")
    sentiment: str | None = Field(description="positive, neutral, negative or unknown.")
    sentiment_probs: dict[str, float] = Field(description="Probability of each sentiment.")
    category: str | None = Field(description="Top risk category, if any.")
    intent: str | None = Field(description="interaction, enquiry, complaint or other.")
    intent_probs: dict[str, float] = Field(description="Probability of each intent.")
    grade: str | None = Field(description="Risk grade: none, low, medium, high, critical.")
    likelihood: int | None = Field(description="Risk matrix likelihood, 1-5.")
    impact: int | None = Field(description="Risk matrix impact, 1-5.")
    incident_id: int | None = Field(description="The incident it is evidence of, if any.")
    duplicate_of: int | None = Field(description="The mention it repeats, for a repost.")


class LabelOut(BaseModel):
    """A reviewer's label, as stored for training."""

    id: int
    mention_id: int
    kind: str = Field(description="sentiment, category or intent.")
    value: str = Field(description="The value the reviewer gave.")
    created_by: str = Field(description="Who gave it (the linked person, else web:USER).")
    created_at: datetime


class MentionDetailOut(MentionOut):
    """A mention with everything behind its grade and the labels reviewers gave it."""

    categories: list[dict[str, Any]] = Field(
        description="Every risk category found: category, score, severity, evidence, source.")
    reasons: list[str] = Field(description="Why the grade: likelihood and impact reasons.")
    labels: list[LabelOut] = Field(description="Reviewers' labels, oldest first.")


class LabelIn(BaseModel):
    """One label: the kind and the value a reviewer gives."""

    kind: str = Field(description=f"One of: {', '.join(REVIEW_KINDS)}.",
                      examples=["sentiment"])
    value: str = Field(description="sentiment: positive, neutral, negative; category: a "
                       "configured risk category or none; intent: interaction, enquiry, "
                       "complaint, other.", examples=["negative"])


def _out(mention: Mention, incident: int | None) -> dict[str, Any]:
    return {
        "id": mention.id, "source": mention.source_id, "url": mention.url,
        "title": mention.title, "author": mention.author, "author_reach": mention.author_reach,
        "published_at": mention.published_at, "lang": mention.lang, "text": mention.text,
        "entities": list(mention.entities or ()), "sentiment": mention.sentiment,
        "sentiment_probs": dict(mention.sentiment_probs or {}),
        "category": mention.top_category, "intent": mention.intent,
        "intent_probs": dict(mention.intent_probs or {}), "grade": mention.grade,
        "likelihood": mention.likelihood, "impact": mention.impact, "incident_id": incident,
        "duplicate_of": mention.duplicate_of,
    }


def _label_out(label: StoredLabel) -> LabelOut:
    return LabelOut(id=label.id, mention_id=label.mention_id, kind=label.kind,
                    value=label.value, created_by=label.created_by, created_at=label.created_at)


@router.get("", response_model=Paged[MentionOut], summary="Search mentions")
def search(
    request: Request,
    q: str | None = Query(None, description="Words, or part of a Chinese phrase, found in the "
                          "text, title or author (case-insensitive)."),
    entity: str | None = Query(None, description="A watched entity's id."),
    source: str | None = Query(None, description="A source id."),
    sentiment: str | None = Query(None, description="positive, neutral, negative or unknown."),
    category: str | None = Query(None, description="The top risk category."),
    intent: str | None = Query(None, description="interaction, enquiry, complaint or other."),
    grade: str | None = Query(None, description="none, low, medium, high or critical."),
    first: date | None = Query(None, alias="from", description="Published on or after this "
                               "day (YYYY-MM-DD, in the organisation's time zone)."),
    last: date | None = Query(None, alias="to", description="Published on or before this "
                              "day (YYYY-MM-DD, in the organisation's time zone)."),
    span: Window = Depends(window),
) -> Paged[MentionOut]:
    """Matching mentions, newest published first."""
    web = web_context(request)
    where = mention_filter(web, q=q, entity=entity, source=source, sentiment=sentiment,
                           category=category, intent=intent, grade=grade, first_day=first,
                           last_day=last)
    with web.reading() as session:
        found = search_mentions(session, where=where, limit=span.limit, offset=span.offset)
        incidents = incidents_of(session, mention_ids=[m.id for m in found.mentions])
        items = [MentionOut(**_out(m, incidents.get(m.id))) for m in found.mentions]
    return Paged[MentionOut].of(request, items=items, total=found.total, span=span,
                                capped=found.capped)


@router.get("/{mention_id}", response_model=MentionDetailOut, summary="One mention",
            responses={404: {"model": ErrorOut, "description": "No such mention."}})
def get(request: Request, mention_id: int) -> MentionDetailOut:
    """The mention, its scores, the reasons for its grade and its reviewers' labels."""
    with web_context(request).reading() as session:
        mention = get_mention(session, mention_id=mention_id)
        incident = incidents_of(session, mention_ids=[mention_id]).get(mention_id)
        labels = session.scalars(select(Label).where(Label.mention_id == mention_id,
                                                     Label.kind.in_(REVIEW_KINDS))
                                 .order_by(Label.id))
        return MentionDetailOut(
            **_out(mention, incident),
            categories=[dict(c) for c in mention.categories or ()],
            reasons=[str(r) for r in mention.reasons or ()],
            labels=[_label_out(StoredLabel.of(lab)) for lab in labels],
        )


@router.post("/{mention_id}/labels", response_model=LabelOut, status_code=201,
             summary="Label a mention (needs the responder role)",
             responses={400: {"model": ErrorOut, "description": "Unknown kind or value."},
                        404: {"model": ErrorOut, "description": "No such mention."}})
def label(request: Request, mention_id: int, body: LabelIn,
          who: Principal = require("responder")) -> LabelOut:
    """Record the reviewer's value: the mention leaves the review queue and the label trains
    the next models (`crisiswatch train`). Send the machine's own value to confirm it."""
    stored = labelling.label(web_context(request), who=who, mention_id=mention_id,
                             values={body.kind: body.value})
    return _label_out(stored[0])
