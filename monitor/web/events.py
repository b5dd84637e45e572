"""``/events``: server-sent events telling live pages that their data changed.

Each topic has a version (a cheap query); the stream sends ``event: TOPIC`` when it changes
and a comment every 15 s so proxies keep the connection. Pages re-fetch their fragment
(static/app.js); the stream itself carries no data, so it leaks nothing a page would not show.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from monitor.db.models import Incident, IncidentEvent, Mention
from monitor.web.auth import current, web_context

router = APIRouter(include_in_schema=False)

HEARTBEAT_SECONDS: Final = 15.0


def _incidents(session: Session) -> str:
    latest = session.execute(
        select(func.max(Incident.updated_at), func.count(Incident.id))
    ).one()
    event = session.scalar(select(func.max(IncidentEvent.id)))
    return f"{latest[0]}|{latest[1]}|{event}"


def _mentions(session: Session) -> str:
    return str(session.scalar(select(func.max(Mention.id))))


TOPICS: Final[dict[str, Callable[[Session], str]]] = {
    "incidents": _incidents,
    "mentions": _mentions,
}


@router.get("/events")
async def events(request: Request, topics: str = "incidents") -> StreamingResponse:
    current(request)
    web = web_context(request)
    wanted = [t for t in topics.split(",") if t in TOPICS] or ["incidents"]
    every = web.web.live_interval.total_seconds()

    def versions() -> dict[str, str]:
        with web.reading() as session:
            return {topic: TOPICS[topic](session) for topic in wanted}

    async def stream() -> AsyncIterator[str]:
        seen = await run_in_threadpool(versions)
        yield "retry: 3000\n\n"
        quiet = 0.0
        while not await request.is_disconnected():
            await asyncio.sleep(every)
            now = await run_in_threadpool(versions)
            changed = [topic for topic in wanted if now[topic] != seen[topic]]
            seen = now
            for topic in changed:
                yield f"event: {topic}\ndata: {now[topic]}\n\n"
            quiet = 0.0 if changed else quiet + every
            if quiet >= HEARTBEAT_SECONDS:
                quiet = 0.0
                yield ": still here\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
