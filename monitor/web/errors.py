"""Errors as people and programs expect them: a page with one line, or ``{"detail": ...}``.

Library errors map to statuses here once, so routes just call the library: a missing thing is
404, a state that forbids the action 409, a bad value 400.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from monitor.web.auth import CsrfRefused, Forbidden, NotLoggedIn, is_api
from monitor.web.i18n import translate
from monitor.web.templates import language, render


def _answer(request: Request, status: int, message: str) -> Response:
    if is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    return render(request, "error.html", status=status, message=message, status_code=status)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    from monitor.incidents.lifecycle import IncidentNotFound, LifecycleError
    from monitor.incidents.silences import SilenceExpired, SilenceNotFound
    from monitor.users.accounts import UsersError
    from monitor.users.roles import UnknownRole
    from playbooks import PlaybookError, SilenceError

    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, exc: NotLoggedIn) -> Response:
        if is_api(request) or request.url.path == "/events":
            return JSONResponse({"detail": "not authenticated: log in or send "
                                 "'Authorization: Bearer <token>'"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        if request.method != "GET":  # a form posted without a login: back to the queue after
            return RedirectResponse("/login", status_code=303)  # (a GET there would be a 405)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        if is_api(request):
            return JSONResponse({"detail": f"forbidden: {exc}"}, status_code=403)
        return _answer(request, 403, translate("forbidden", language(request)))

    @app.exception_handler(CsrfRefused)
    async def csrf(request: Request, exc: CsrfRefused) -> Response:
        return _answer(request, 403, translate("csrf_refused", language(request))
                       if not is_api(request) else "CSRF token missing or wrong")

    # the most specific class wins (Starlette looks the exception's classes up in MRO order)
    statuses: tuple[tuple[type[Exception], int], ...] = (
        (LookupError, 404), (SilenceNotFound, 404), (IncidentNotFound, 404),
        (LifecycleError, 409), (SilenceExpired, 409), (SilenceError, 422),
        (UsersError, 400), (UnknownRole, 400), (ValueError, 400), (PlaybookError, 400),
    )
    for error, status in statuses:
        app.add_exception_handler(error, _one_line_answer(status))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e.get('msg')}"
            for e in exc.errors()
        )
        return _answer(request, 422, problems or "invalid request")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and not is_api(request):
            message = translate("not_found", language(request))
        return _answer(request, exc.status_code, message)


def _one_line_answer(status: int) -> Callable[[Request, Exception], Awaitable[Response]]:
    """A handler answering ``status`` with the exception's message on one line."""

    async def handler(request: Request, exc: Exception) -> Response:
        return _answer(request, status, _one_line(exc))

    return handler


def _one_line(exc: BaseException) -> str:
    text = str(exc.args[0]) if len(exc.args) == 1 else str(exc)
    return " ".join(text.split()) or type(exc).__name__


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="/")
