"""One archived digest file as an answer, for the reports page and /api/v1/digests alike."""

from __future__ import annotations

from fastapi.responses import FileResponse

from monitor.digest.archive import DigestNotFound, digest_file
from monitor.digest.render_html import CSP
from monitor.digest.run import FORMATS, default_out_dir
from monitor.web.context import WebContext

MEDIA_TYPES = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8",
               "json": "application/json"}
# the digest's own policy (it loads nothing, its charts and font are data: URIs), sandboxed:
# served from the console's origin, a report must not act as the logged-in reader
SANDBOX = f"{CSP}; sandbox"


def digest_response(web: WebContext, *, file: str) -> FileResponse:
    """``{name}.{json|html|md}`` from the archive folder; DigestNotFound for anything else."""
    name, _, fmt = file.rpartition(".")
    if fmt not in FORMATS:
        raise DigestNotFound(f"no digest file {file!r} (formats: {', '.join(FORMATS)})")
    path = digest_file(default_out_dir(web.app), name=name, fmt=fmt)
    return FileResponse(path, media_type=MEDIA_TYPES[fmt],
                        headers={"Content-Security-Policy": SANDBOX,
                                 "X-Content-Type-Options": "nosniff"})
