"""Mention search (/mentions) and the review queue (/review), where a reviewer confirms or
corrects the machines' sentiment, category and intent (POST /mentions/{id}/labels).

Search goes through ``monitor.search.mentions``, the queue through ``monitor.review.queue``,
labels through ``monitor.web.labelling`` (audited): this module only reads forms and renders.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from monitor.review.labels import REVIEW_KINDS
from monitor.review.queue import review_queue
from monitor.search.links import incidents_of
from monitor.search.mentions import search_mentions
from monitor.web import labelling
from monitor.web.auth import Principal, require, web_context
from monitor.web.i18n import catalogue, translate
from monitor.web.mention_query import choices, mention_filter, parse_day
from monitor.web.paging import Page, Window, window
from monitor.web.templates import language, local_path, redirect, render

router = APIRouter(include_in_schema=False)
# how far back the review queue looks, in days (0: everything): it reads every row in reach
REVIEW_DAYS = (7, 30, 90, 0)


def link(url: str | None) -> str | None:
    """``url`` if it is a web address (never a ``javascript:`` one), else None."""
    if not url:
        return None
    return url if urlsplit(url.strip()).scheme.lower() in ("http", "https") else None


def _helpers(lang: str) -> dict[str, Any]:
    def named(prefix: str, value: str | None) -> str:
        """A value in words: its translation when there is one (categories are configurable)."""
        if not value:
            return "—"
        key = prefix + value
        return translate(key, lang) if key in catalogue() else value

    def top(probs: dict[str, Any] | None, label: str | None) -> str:
        """The label's probability as a percentage ("" when unknown)."""
        value = (probs or {}).get(label or "")
        return f"{float(value):.0%}" if isinstance(value, int | float) else ""

    return {"named": named, "top": top, "link": link}


@router.get("/mentions")
def search(
    request: Request,
    q: str | None = None,
    entity: str | None = None,
    source: str | None = None,
    sentiment: str | None = None,
    category: str | None = None,
    intent: str | None = None,
    grade: str | None = None,
    first: str | None = Query(None, alias="from"),
    last: str | None = Query(None, alias="to"),
    span: Window = Depends(window),
    _: Principal = require("viewer"),
) -> HTMLResponse:
    web = web_context(request)
    lang = language(request)
    where = mention_filter(web, q=q, entity=entity, source=source, sentiment=sentiment,
                           category=category, intent=intent, grade=grade,
                           first_day=parse_day(first), last_day=parse_day(last))
    with web.reading() as session:
        found = search_mentions(session, where=where, limit=span.limit, offset=span.offset)
        incidents = incidents_of(session, mention_ids=[m.id for m in found.mentions])
        offered = choices(web, session, lang=lang)
    form = {"q": q or "", "entity": entity or "", "source": source or "",
            "sentiment": sentiment or "", "category": category or "", "intent": intent or "",
            "grade": grade or "", "from": first or "", "to": last or ""}
    return render(request, "mentions.html", mentions=found.mentions, incidents=incidents,
                  page=Page.of(span, count=len(found.mentions), total=found.total,
                               capped=found.capped),
                  choices=offered, form=form, **_helpers(lang))


@router.get("/review")
def queue(
    request: Request, days: int = Query(REVIEW_DAYS[1], ge=0), span: Window = Depends(window),
    _: Principal = require("viewer"),
) -> HTMLResponse:
    web = web_context(request)
    lang = language(request)
    since = web.clock() - timedelta(days=days) if days else None  # 0: the whole archive
    with web.reading() as session:
        waiting = review_queue(session, limit=span.limit, offset=span.offset, since=since)
        incidents = incidents_of(session, mention_ids=[m.id for m in waiting.mentions])
        offered = choices(web, session, lang=lang)
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return render(request, "review.html", mentions=waiting.mentions, incidents=incidents,
                  page=Page.of(span, count=len(waiting.mentions), total=waiting.total),
                  choices=offered, back=back, days=days, spans=REVIEW_DAYS, **_helpers(lang))


def _local(target: str) -> str:
    """Where to go back to: a path of this console only (never another site)."""
    return local_path(target, fallback="/review")


@router.post("/mentions/{mention_id}/labels")
def label(
    request: Request,
    mention_id: int,
    action: str = Form("save"),
    sentiment: str = Form(""),
    category: str = Form(""),
    intent: str = Form(""),
    next_url: str = Form("/review", alias="next"),
    who: Principal = require("responder"),
) -> Response:
    web = web_context(request)
    lang = language(request)
    if action == "confirm":
        stored = labelling.confirm(web, who=who, mention_id=mention_id)
    else:
        given = {"sentiment": sentiment, "category": category, "intent": intent}
        values = {kind: given[kind].strip() for kind in REVIEW_KINDS if given[kind].strip()}
        stored = labelling.label(web, who=who, mention_id=mention_id, values=values)
    named = _helpers(lang)["named"]
    said = ", ".join(f"{translate('mentions_' + s.kind, lang)} "
                     f"{named(f'mentions_{s.kind}_', s.value)}" for s in stored)
    key = "review_confirmed" if action == "confirm" else "review_saved"
    return redirect(request, _local(next_url), flash=translate(key, lang, id=mention_id,
                                                                labels=said))

