"""/api/v1/digests: the digest archive, the files ``crisiswatch digest`` and the scheduled
reports write to ``<data_dir>/digests`` (``monitor.digest.archive``), and each file itself.

A file is served only by its archive name and format (``digest-2026-W47.html``); nothing
outside that folder can be named.
"""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from monitor.digest.archive import list_digests
from monitor.digest.run import default_out_dir
from monitor.web.api.schemas import ERRORS, ErrorOut, Paged
from monitor.web.auth import require, web_context
from monitor.web.digest_files import MEDIA_TYPES, digest_response
from monitor.web.paging import Window, window

router = APIRouter(prefix="/digests", tags=["digests"], responses=ERRORS,
                   dependencies=[require("viewer")])


class DigestOut(BaseModel):
    """One archived digest and the formats it was written in."""

    name: str = Field(description="Archive name, `digest-<period>`.")
    period: str | None = Field(description="Period label: 2026-11-16, 2026-W47, 2026-11, "
                               "2026-Q4, 2026 or 2026-11-01..2026-11-07.")
    kind: str | None = Field(description="day, week, month, quarter, year or range.")
    first: date | None = Field(description="First day of the period.")
    last: date | None = Field(description="Last day of the period (inclusive).")
    formats: list[str] = Field(description="Formats on file: html, md, json.")
    written_at: datetime = Field(description="When its newest file was written.")
    urls: dict[str, str] = Field(description="Format -> URL of the file.")


@router.get("", response_model=Paged[DigestOut], summary="List archived digests")
def list_(request: Request, span: Window = Depends(window)) -> Paged[DigestOut]:
    """Latest period first."""
    web = web_context(request)
    found = list_digests(default_out_dir(web.app), tz=web.settings.organisation.timezone)
    items = [
        DigestOut(name=d.name, period=d.period, kind=d.kind, first=d.first, last=d.last,
                  formats=list(d.formats), written_at=d.written_at,
                  urls={f: str(request.url_for("digest_file", file=f"{d.name}.{f}"))
                        for f in d.formats})
        for d in found[span.offset:span.offset + span.limit]
    ]
    return Paged[DigestOut].of(request, items=items, total=len(found), span=span)


@router.get("/{file}", name="digest_file", summary="One digest file",
            response_class=FileResponse,
            responses={200: {"content": {t.split(";")[0]: {} for t in MEDIA_TYPES.values()},
                             "description": "The file as written."},
                       404: {"model": ErrorOut, "description": "No such digest file."}})
def get(request: Request, file: str) -> FileResponse:
    """``{name}.{json|html|md}`` as listed."""
    return digest_response(web_context(request), file=file)
