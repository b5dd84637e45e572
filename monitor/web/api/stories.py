"""/api/v1/stories: stories (mentions about one real-world event), as ``crisiswatch stories``
lists them (``monitor.incidents.story_views``), and one story with its mentions and incident."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from monitor.incidents.story_views import count_stories, list_stories, story_detail
from monitor.web.api.schemas import ERRORS, ErrorOut, Paged
from monitor.web.auth import require, web_context
from monitor.web.paging import Window, window

# a story's page lists this many of its mentions; the rest through the mentions search
STORY_MENTIONS = 200

router = APIRouter(prefix="/stories", tags=["stories"], responses=ERRORS,
                   dependencies=[require("viewer")])


class StoryOut(BaseModel):
    """One story as the list shows it."""

    id: int
    title: str = Field(description="The first mention with content.")
    first_seen_at: datetime
    last_seen_at: datetime = Field(description="Latest mention (the list's order).")
    mention_count: int
    negative: int = Field(description="Negative mentions.")
    sources: dict[str, int] = Field(description="Mentions per source id, most first.")
    entities: dict[str, int] = Field(description="Mentions per entity id, most first.")
    categories: dict[str, float] = Field(description="Share of mentions per risk category.")
    incident_id: int | None = Field(description="Its incident, when it crossed the threshold.")


class StoryMentionOut(BaseModel):
    """A mention of the story."""

    id: int
    source_id: str
    external_id: str = Field(description="The item's id at its source.")
    url: str | None
    author: str | None
    published_at: datetime
    excerpt: str


class StoryDetailOut(StoryOut):
    """One story with its mentions (the first 200, oldest first)."""

    merged_into: int | None = Field(description="The story it was merged into, if any.")
    related: list[int] = Field(description="Stories a responder linked to this one.")
    mentions: list[StoryMentionOut]


@router.get("", response_model=Paged[StoryOut], summary="List stories")
def list_(
    request: Request,
    since: AwareDatetime | None = Query(None, description="Seen at or after (ISO 8601 with "
                                        "an offset, e.g. 2026-11-18T00:00:00Z)."),
    entity: str | None = Query(None, description="Having a mention of this entity id."),
    span: Window = Depends(window),
) -> Paged[StoryOut]:
    """Latest activity first; stories merged into another are left out."""
    with web_context(request).reading() as session:
        rows = list_stories(session, since=since, entity=entity, limit=span.limit,
                            offset=span.offset)
        total = count_stories(session, since=since, entity=entity)
    items = [StoryOut.model_validate(r) for r in rows]
    return Paged[StoryOut].of(request, items=items, total=total, span=span)


@router.get("/{story_id}", response_model=StoryDetailOut, summary="Get one story",
            responses={404: {"model": ErrorOut, "description": "No story with that id."}})
def get(request: Request, story_id: int) -> StoryDetailOut:
    """The story, its incident id and its mentions."""
    with web_context(request).reading() as session:
        data = story_detail(session, story_id=story_id, mentions=STORY_MENTIONS)
    return StoryDetailOut.model_validate(data)
