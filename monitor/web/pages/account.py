"""The caller's own account: who they are, their role and person, and a password change."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from monitor.users.accounts import LoginFailed, authenticate, set_password
from monitor.users.audit import record
from monitor.users.passwords import MIN_LENGTH
from monitor.users.tokens import list_tokens
from monitor.web.auth import Principal, current, web_context
from monitor.web.i18n import translate
from monitor.web.templates import language, redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/account")
def account(request: Request) -> HTMLResponse:
    principal: Principal = current(request)
    with web_context(request).reading() as session:
        tokens = list_tokens(session, user_name=principal.user)
    return render(request, "account.html", tokens=tokens)


@router.post("/account/password")
def change_password(
    request: Request, current_password: str = Form(""), new_password: str = Form(""),
) -> Response:
    principal: Principal = current(request)
    web = web_context(request)
    lang = language(request)
    now = web.clock()
    # a stolen login must not become a way to guess the password: same limit as /login
    key = f"user:{principal.user}"
    wait = web.limiter.retry_after(key)
    if wait > 0:
        return redirect(request, "/account", flash=translate(
            "security_password_limited", lang, seconds=int(wait) + 1))
    if len(new_password) < MIN_LENGTH:
        return redirect(request, "/account", flash=translate("security_password_weak", lang))
    with web.transaction() as session:
        try:
            authenticate(session, name=principal.user, password=current_password)
        except LoginFailed:
            web.limiter.failed(key)
            return redirect(request, "/account", flash=translate("password_wrong", lang))
        set_password(session, name=principal.user, password=new_password, now=now)
        record(session, actor=principal.user, action="user.password", target=principal.user,
               now=now, via="web", address=principal.address)
    # every login of the account ends with a password change, this one too
    return redirect(request, "/login", flash=translate("password_changed", lang))
