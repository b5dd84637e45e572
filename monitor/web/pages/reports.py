"""The digest archive: the reports in ``<data_dir>/digests`` (``monitor.digest.archive``),
latest period first, each format opened through ``/reports/files/{name}``, which serves only
files of that folder (``digest_file``). Admins may write the weekly digest now, with the same
library call as ``crisiswatch digest`` (audited ``digest.write``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from monitor.digest.archive import DigestNotFound, digest_file, list_digests
from monitor.digest.render_html import CSP
from monitor.digest.run import FORMATS, DigestError, build_and_write_digest, default_out_dir
from monitor.users.audit import record
from monitor.web.api.digests import MEDIA_TYPES
from monitor.web.auth import Principal, require, web_context
from monitor.web.i18n import translate
from monitor.web.templates import language, redirect, render
from playbooks import PlaybookError

router = APIRouter(include_in_schema=False)

KINDS = ("day", "week", "month", "quarter", "year", "range")
# the digest's own policy (it loads nothing), sandboxed: served from the console's origin, a
# report must not act as the logged-in reader
_SANDBOX = f"{CSP}; sandbox"


@router.get("/reports")
def reports(request: Request, kind: str | None = None,
            _: Principal = require("viewer")) -> HTMLResponse:
    web = web_context(request)
    kind = kind if kind in KINDS else None
    found = [d for d in list_digests(default_out_dir(web.app),
                                     tz=web.settings.organisation.timezone)
             if kind is None or d.kind == kind]
    return render(request, "reports.html", reports=found, kind=kind,
                  kinds=KINDS)


@router.get("/reports/files/{name}")
def report_file(request: Request, name: str, _viewer: Principal = require("viewer")) -> Response:
    stem, _, fmt = name.rpartition(".")
    if fmt not in FORMATS:
        raise DigestNotFound(f"no report {name!r}")
    path = digest_file(default_out_dir(web_context(request).app), name=stem, fmt=fmt)
    return FileResponse(path, media_type=MEDIA_TYPES[fmt],
                        headers={"Content-Security-Policy": _SANDBOX,
                                 "X-Content-Type-Options": "nosniff"})


@router.post("/reports/write")
def write_now(request: Request, who: Principal = require("admin")) -> Response:
    web = web_context(request)
    now = web.clock()
    lang = language(request)
    try:
        output = build_and_write_digest(app=web.app, now=now)
    except (DigestError, PlaybookError) as exc:  # what `crisiswatch digest` reports as one line
        return redirect(request, "/reports", flash=translate("reports_failed", lang, why=exc))
    with web.transaction() as session:
        record(session, actor=who.user, action="digest.write", target=output.period.label,
               now=now, via=who.via, address=who.address,
               detail={"files": sorted(p.name for p in output.files.values())})
    return redirect(request, "/reports",
                    flash=translate("reports_written", lang, period=output.period.label))
