"""Jinja2 pages: autoescaped, in the caller's language, times in the organisation's zone.

``render(request, "name.html", **values)`` gives every template ``t`` (translate), ``when``
(a time as people read it: ``2026-11-18 18:15 UTC+8``), ``iso``, ``user`` (the Principal),
``csrf`` (a hidden form field with the login's token), ``lang`` and ``flash`` (a one-time
message set by ``redirect(..., flash=...)``).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from alerts.times import format_time
from monitor.web.auth import CSRF_FIELD, Principal, set_cookie, web_context
from monitor.web.i18n import LANGS, translate

LANG_COOKIE = "cw_lang"
FLASH_COOKIE = "cw_flash"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("monitor.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["urlquote"] = lambda value: quote(str(value), safe="")
    return env


def language(request: Request) -> str:
    """The page's language: the ``cw_lang`` cookie, else the organisation's locale."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGS:
        return chosen
    return web_context(request).settings.organisation.locale


def render(request: Request, template: str, *, status_code: int = 200,
           **values: Any) -> HTMLResponse:
    """The page ``template`` with the common values and ``values``."""
    web = web_context(request)
    lang = language(request)
    zone = web.settings.organisation.timezone
    principal: Principal | None = getattr(request.state, "principal", None)
    token = principal.csrf_token if principal else None
    raw_flash = request.cookies.get(FLASH_COOKIE)
    flash = None if raw_flash is None else unquote(raw_flash)

    def t(key: str, **fill: object) -> str:
        return translate(key, lang, **fill)

    def when(value: datetime | None) -> str:
        return "—" if value is None else format_time(value, zone)

    def iso(value: datetime | None) -> str:
        return "" if value is None else value.isoformat()

    html = environment().get_template(template).render(
        request=request, t=t, when=when, iso=iso, lang=lang, langs=LANGS, user=principal,
        csrf=Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token or "")}">'),
        csrf_token=token or "", flash=flash, now=web.clock(), **values,
    )
    response = HTMLResponse(html, status_code=status_code)
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def local_path(target: str | None, *, fallback: str) -> str:
    """``target`` if it is a path of this site (no open redirect), else ``fallback``."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return fallback
    # browsers read "/\evil.example" as "//evil.example" and drop tabs and newlines
    # inside URLs, so either could turn a path into another site
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return fallback
    parts = urlsplit(target)
    return fallback if parts.scheme or parts.netloc else target


def redirect(request: Request, url: str, *, flash: str | None = None) -> RedirectResponse:
    """303 to ``url`` (after a form post), with an optional one-time message."""
    response = RedirectResponse(url, status_code=303)
    if flash is not None:
        set_cookie(request, response, FLASH_COOKIE, quote(flash[:300]), max_age=60)
    return response
