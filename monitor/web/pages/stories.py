"""Stories: the list (latest activity first, filters since/entity, paged) and one story with
its mentions and its incident. Read-only; the views are monitor.incidents.story_views'."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from monitor.incidents.story_views import count_stories, list_stories, story_detail
from monitor.web.auth import Principal, require, web_context
from monitor.web.pages.forms import since_time
from monitor.web.paging import Page, Window, window
from monitor.web.templates import render

router = APIRouter(include_in_schema=False)


@router.get("/stories")
def stories(
    request: Request,
    since: str | None = None,
    entity: str | None = None,
    span: Window = Depends(window),
    _: Principal = require("viewer"),
) -> HTMLResponse:
    web = web_context(request)
    cutoff = since_time(web, since)
    chosen = entity or None
    with web.reading() as session:
        rows = list_stories(session, since=cutoff, entity=chosen, limit=span.limit,
                            offset=span.offset)
        total = count_stories(session, since=cutoff, entity=chosen)
    return render(request, "stories.html", stories=rows, since=since or "", entity=chosen,
                  entities=web.settings.entities, page=Page.of(span, count=len(rows), total=total))


@router.get("/stories/{story_id:int}")
def story(request: Request, story_id: int, _: Principal = require("viewer")) -> HTMLResponse:
    with web_context(request).reading() as session:
        detail = story_detail(session, story_id=story_id)
    return render(request, "story.html", story=detail)
