"""Logging in and out, and choosing the console's language."""

from __future__ import annotations

import secrets
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from monitor.users.accounts import LoginFailed, authenticate
from monitor.users.audit import record
from monitor.users.sessions import end_session, start_session
from monitor.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Principal,
    client_address,
    current,
    same_secret,
    secure_cookies,
    set_cookie,
    web_context,
)
from monitor.web.i18n import LANGS, translate
from monitor.web.templates import LANG_COOKIE, language, local_path, redirect, render

router = APIRouter(include_in_schema=False)


def _local(next_url: str | None) -> str:
    """``next_url`` if it stays on this site, else the incident queue."""
    return local_path(next_url, fallback="/incidents")


def _login_page(request: Request, *, next_url: str, error: str | None = None, name: str = "",
                status_code: int = 200) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    web = web_context(request)
    # a browser drops Secure cookies set over plain HTTP: say so rather than loop on login
    insecure = request.url.scheme == "http" and secure_cookies(request, web.web.secure_cookies)
    response = render(request, "login.html", login_csrf=token, next_url=_local(next_url),
                      error=error, name=name, status_code=status_code,
                      needs_https=insecure)
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/incidents", lang: str | None = None) -> Response:
    if request.state.principal is not None:
        return RedirectResponse(_local(next), status_code=303)
    if lang is not None:
        # the language links of the login page (/lang/ needs a login, /login does not)
        chosen = redirect(request, f"/login?next={quote(_local(next), safe='/')}")
        if lang in LANGS:
            set_cookie(request, chosen, LANG_COOKIE, lang, max_age=365 * 86400)
        return chosen
    return _login_page(request, next_url=next)


@router.post("/login")
def login(
    request: Request,
    name: str = Form(""),
    password: str = Form(""),
    login_csrf: str = Form(""),
    next: str = Form("/incidents"),
) -> Response:
    web = web_context(request)
    lang = language(request)
    name = name.strip().lower()  # names are lower-case; "Ada " is a typo, not another user
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not same_secret(login_csrf, expected):
        return _login_page(request, next_url=next, name=name, status_code=403,
                           error=translate("login_expired", lang))
    address = client_address(request) or "unknown"
    keys = (f"user:{name}", f"addr:{address}")
    wait = web.limiter.retry_after(*keys)
    now = web.clock()
    if wait > 0:
        with web.transaction() as session:
            record(session, actor=name or "?", action="login.limited", now=now, via="web",
                   address=address)
        response = _login_page(request, next_url=next, name=name, status_code=429,
                               error=translate("login_limited", lang, seconds=int(wait) + 1))
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    try:
        with web.transaction() as session:
            user = authenticate(session, name=name, password=password)
            secret, _ = start_session(session, user=user, now=now, address=address,
                                      lifetime=web.web.session_lifetime)
            record(session, actor=user.name, action="login", now=now, via="web", address=address)
    except LoginFailed:
        web.limiter.failed(*keys)
        with web.transaction() as session:
            record(session, actor=name or "?", action="login.failed", now=now, via="web",
                   address=address)
        return _login_page(request, next_url=next, name=name, status_code=401,
                           error=translate("login_failed", lang))
    web.limiter.succeeded(keys[0])
    done = RedirectResponse(_local(next), status_code=303)
    # no Max-Age: the login slides on the server (web.session_lifetime past its last use); a
    # cookie expiring a fixed time after login would end an active login in mid-shift
    set_cookie(request, done, SESSION_COOKIE, secret, max_age=None)
    done.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return done


@router.post("/logout")
def logout(request: Request) -> Response:
    web = web_context(request)
    principal: Principal = current(request)
    with web.transaction() as session:
        end_session(session, secret=request.cookies.get(SESSION_COOKIE, ""))
        record(session, actor=principal.user, action="logout", now=web.clock(), via="web",
               address=principal.address)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def choose_language(request: Request, code: str, next: str = "/incidents") -> Response:
    response = redirect(request, _local(next))
    if code in LANGS:
        set_cookie(request, response, LANG_COOKIE, code, max_age=365 * 86400)
    return response


@router.get("/")
def home() -> Response:
    return RedirectResponse("/incidents", status_code=303)
