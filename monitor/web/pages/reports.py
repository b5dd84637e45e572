"""The digest archive: the reports in ``<data_dir>/digests`` (``monitor.digest.archive``),
latest period first, each format opened through ``/reports/files/{name}``, which serves only
files of that folder (``digest_file``). Admins may write the weekly digest now, with the same
library call as ``crisiswatch digest`` (audited ``digest.write``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from monitor.digest.archive import list_digests
from monitor.digest.period import KINDS as PERIOD_KINDS
from monitor.digest.run import DigestError, build_and_write_digest, default_out_dir
from monitor.users.audit import record
from monitor.web.auth import Principal, require, web_context
from monitor.web.digest_files import digest_response
from monitor.web.i18n import translate
from monitor.web.templates import language, redirect, render
from playbooks import PlaybookError

router = APIRouter(include_in_schema=False)

KINDS = (*PERIOD_KINDS, "range")  # an archived digest of a --from/--to range has no period


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
    return digest_response(web_context(request), file=name)


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
