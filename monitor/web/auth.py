"""Who is asking: a login cookie or an API token, resolved for every request.

``authenticate`` and ``check_csrf`` are dependencies of the whole application (``app.py``), so
a route added anywhere is closed by default: only ``PUBLIC`` paths answer without a login.
Routes read the caller with ``Depends(current)`` or ``Depends(require("responder"))``.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Depends, Request
from starlette.responses import Response

from monitor.users.roles import Role, allows
from monitor.users.sessions import resume_session
from monitor.users.tokens import verify_token
from monitor.web.context import WebContext

SESSION_COOKIE = "cw_session"
LOGIN_CSRF_COOKIE = "cw_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
PUBLIC = frozenset({"/healthz", "/login", "/favicon.ico"})
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    """The caller of one request."""

    user: str
    role: Role
    person: str | None  # the configured person the account acts as
    via: Literal["web", "api"]
    csrf_token: str | None  # the login's token (None for API tokens)
    address: str | None

    @property
    def actor(self) -> str:
        """The name actions are recorded under: the linked person's id, else ``web:USER``
        (recorded as unverified when people are configured)."""
        from monitor.incidents.actors import WEB_PREFIX

        return self.person or f"{WEB_PREFIX}{self.user}"

    def can(self, needed: Role) -> bool:
        return allows(self.role, needed)


class NotLoggedIn(Exception):
    """No valid login or token (401 for the API, a redirect to /login for pages)."""


class Forbidden(Exception):
    """Logged in, but the role (or token scope) does not allow it (403)."""

    def __init__(self, needed: Role) -> None:
        super().__init__(f"needs the {needed} role")
        self.needed = needed


class CsrfRefused(Exception):
    """A cookie-authenticated change without the login's CSRF token (403)."""


def web_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def authenticate(request: Request) -> None:
    """Resolve the caller into ``request.state.principal``; NotLoggedIn unless public."""
    request.state.principal = None
    web = web_context(request)
    header = request.headers.get("authorization", "")
    cookie = request.cookies.get(SESSION_COOKIE)
    now = web.clock()
    if header.lower().startswith("bearer "):
        with web.transaction() as session:
            bearer = verify_token(session, secret=header[7:].strip(), now=now)
            if bearer is not None:
                request.state.principal = Principal(
                    user=bearer.user.name, role=bearer.role, person=bearer.user.person,
                    via="api", csrf_token=None, address=client_address(request))
    elif cookie:
        with web.transaction() as session:
            login = resume_session(session, secret=cookie, now=now,
                                   lifetime=web.web.session_lifetime)
            if login is not None:
                user = login.user
                request.state.principal = Principal(
                    user=user.name, role=user.role,  # type: ignore[arg-type]
                    person=user.person, via="web", csrf_token=login.csrf_token,
                    address=client_address(request))
    if request.state.principal is None and request.url.path not in PUBLIC:
        raise NotLoggedIn()


async def check_csrf(request: Request) -> None:
    """A change made with a login cookie must carry the login's CSRF token (form field or
    ``X-CSRF-Token`` header). API tokens need none: a browser never sends them by itself."""
    principal: Principal | None = request.state.principal
    if request.method in _SAFE or principal is None or principal.csrf_token is None:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not same_secret(sent, principal.csrf_token):
        raise CsrfRefused()


def same_secret(sent: str, expected: str) -> bool:
    """Constant-time equality of two secrets; any text may be sent (compare_digest refuses
    non-ASCII ``str``, which would be a 500 instead of a refusal)."""
    return secrets.compare_digest(sent.encode("utf-8", "replace"),
                                  expected.encode("utf-8", "replace"))


def current(request: Request) -> Principal:
    """The logged-in caller (every non-public route has one)."""
    principal: Principal | None = request.state.principal
    if principal is None:
        raise NotLoggedIn()
    return principal


def require(needed: Role) -> Any:
    """A dependency giving the caller if their role allows ``needed``, else Forbidden."""

    def check(request: Request) -> Principal:
        principal = current(request)
        if not principal.can(needed):
            raise Forbidden(needed)
        return principal

    return Depends(check)


def secure_cookies(request: Request, mode: str) -> bool:
    """Whether to mark cookies Secure (``web.secure_cookies``)."""
    if mode != "auto":
        return mode == "always"
    if request.url.scheme == "https":
        return True
    host = request.url.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def set_cookie(request: Request, response: Response, name: str, value: str, *,
               max_age: int | None) -> None:
    """An HTTP-only, SameSite=Lax cookie, Secure unless served on loopback over HTTP."""
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", path="/",
                        secure=secure_cookies(request, web_context(request).web.secure_cookies))
