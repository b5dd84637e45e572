"""User management, for admins: list, add, disable and enable, change role, create and revoke
API tokens, all through ``monitor.users`` and each audited (``user.add``, ``user.disable``,
``user.enable``, ``user.role``, ``token.create``, ``token.revoke``). A new token's secret is
shown once, in the answer to the form that made it, and never stored or put in a cookie."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from monitor.db.models import User
from monitor.users.accounts import (
    UsersError,
    add_user,
    get_user,
    list_users,
    set_disabled,
    set_role,
)
from monitor.users.audit import record
from monitor.users.roles import ROLES
from monitor.users.tokens import create_token, list_tokens, revoke_token
from monitor.web.auth import Principal, require, web_context
from monitor.web.i18n import translate
from monitor.web.pages.forms import optional, when_value
from monitor.web.templates import language, redirect, render

router = APIRouter(include_in_schema=False)


def _audit(session: Session, request: Request, who: Principal, action: str, target: str,
           **detail: object) -> None:
    record(session, actor=who.user, action=action, target=target,
           now=web_context(request).clock(), via=who.via, address=who.address,
           detail={k: v for k, v in detail.items() if v is not None})


@router.get("/users")
def users(request: Request, _: Principal = require("admin")) -> HTMLResponse:
    web = web_context(request)
    with web.reading() as session:
        found = list_users(session)
        tokens = list_tokens(session)
    return render(request, "users.html", users=found, tokens=tokens, roles=ROLES,
                  people=web.app.roster.people)


@router.post("/users")
def add(
    request: Request,
    name: str = Form(""),
    role: str = Form("viewer"),
    person: str = Form(""),
    password: str = Form(""),
    who: Principal = require("admin"),
) -> Response:
    web = web_context(request)
    linked = optional(person)
    if linked is not None:
        linked = web.app.roster.named(linked).id  # UnknownPerson: a 400 naming the choices
    with web.transaction() as session:
        add_user(session, name=name.strip(), password=password, role_name=role, person=linked,
                 by=who.user, now=web.clock())
        _audit(session, request, who, "user.add", name.strip(), role=role, person=linked)
    return redirect(request, "/users", flash=translate("users_added", language(request),
                                                       name=name.strip()))


@router.post("/users/{name}/disable")
def disable(request: Request, name: str, who: Principal = require("admin")) -> Response:
    if name == who.user:
        raise UsersError(translate("users_not_yourself", language(request)))
    return _set_disabled(request, who, name, disabled=True)


@router.post("/users/{name}/enable")
def enable(request: Request, name: str, who: Principal = require("admin")) -> Response:
    return _set_disabled(request, who, name, disabled=False)


def _set_disabled(request: Request, who: Principal, name: str, *, disabled: bool) -> Response:
    web = web_context(request)
    with web.transaction() as session:
        set_disabled(session, name=name, disabled=disabled, now=web.clock())
        _audit(session, request, who, "user.disable" if disabled else "user.enable", name)
    key = "users_disabled" if disabled else "users_enabled"
    return redirect(request, "/users", flash=translate(key, language(request), name=name))


@router.post("/users/{name}/role")
def change_role(request: Request, name: str, role: str = Form(""),
                who: Principal = require("admin")) -> Response:
    if name == who.user:
        raise UsersError(translate("users_not_yourself", language(request)))
    with web_context(request).transaction() as session:
        set_role(session, name=name, role_name=role)
        _audit(session, request, who, "user.role", name, role=role)
    return redirect(request, "/users", flash=translate("users_role_set", language(request),
                                                       name=name, role=role))


@router.post("/users/{name}/tokens")
def new_token(
    request: Request,
    name: str,
    label: str = Form("api"),
    scope: str = Form(""),
    expires: str = Form(""),
    who: Principal = require("admin"),
) -> HTMLResponse:
    web = web_context(request)
    now = web.clock()
    until = None if optional(expires) is None else when_value(
        web, expires, option="expires", now=now, ahead=True)
    with web.transaction() as session:
        chosen = optional(scope) or get_user(session, name).role
        token, secret = create_token(session, user_name=name, name=label.strip() or "api",
                                     scope=chosen, now=now, expires_at=until)
        token_id = token.id
        _audit(session, request, who, "token.create", name, token=token_id, scope=chosen)
    page = render(request, "user_token.html", name=name, token_id=token_id, scope=chosen,
                  label=label.strip() or "api", expires_at=until, secret=secret)
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post("/tokens/{token_id:int}/revoke")
def revoke(request: Request, token_id: int, who: Principal = require("admin")) -> Response:
    web = web_context(request)
    with web.transaction() as session:
        token = revoke_token(session, token_id=token_id, now=web.clock())
        owner = session.get(User, token.user_id)
        _audit(session, request, who, "token.revoke", owner.name if owner else "?",
               token=token_id)
    return redirect(request, "/users", flash=translate("users_token_revoked", language(request),
                                                       id=token_id))
