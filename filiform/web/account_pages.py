"""Account pages: one's own password and second factor, reset by token, and the admin's
user list (reset, reactivate, deactivate).  The HTML face of
``filiform.services.access.accounts``; the rules live there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from filiform.errors import FiliformError
from filiform.services.access import accounts, auth_sessions, users
from filiform.services.access.auth_cookies import session_token, token_hash
from filiform.services.access.context import Actor

from .common import actor_or_none, login_redirect, render, run_page, unit_of_work

router = APIRouter()


def _throttle(request: Request) -> Any:
    return getattr(request.app.state, "login_throttle", None)


def _account(request: Request, s: Session, actor: Actor, **extra: Any) -> Any:
    enabled = auth_sessions.totp_enabled(s, user_id=actor.user_id)
    context = {"title": "Your account", "totp_enabled": enabled, "notice": None, "uri": None, **extra}
    return render(request, "account.html", context, status_code=422 if extra.get("errors") else 200)


def _act(request: Request, action: Any, **done: Any) -> Any:
    """Run one account change; show the page again with the outcome or the error."""

    def body(s: Session, actor: Actor) -> Any:
        try:
            with s.begin_nested():
                result = action(s, actor)
        except FiliformError as exc:
            return _account(request, s, actor, errors=[exc.message, *exc.details])
        extra = {k: (v(result) if callable(v) else v) for k, v in done.items()}
        return _account(request, s, actor, **extra)

    return run_page(request, body)


@router.get("/account", include_in_schema=False)
def account(request: Request) -> Any:
    return run_page(request, lambda s, actor: _account(request, s, actor))


@router.post("/account/password", include_in_schema=False)
def password(request: Request, current_password: str = Form(""), new_password: str = Form("")) -> Any:
    token = session_token(request.cookies.get(auth_sessions.COOKIE_NAME, ""))
    return _act(
        request,
        lambda s, a: accounts.change_password(
            s,
            actor=a,
            current_password=current_password,
            new_password=new_password,
            keep_session=token_hash(token) if token else None,
            throttle=_throttle(request),
        ),
        notice="Password changed; your other sessions were signed out.",
    )


@router.post("/account/totp", include_in_schema=False)
def totp_start(request: Request, password: str = Form(""), code: str = Form("")) -> Any:
    return _act(
        request,
        lambda s, a: accounts.start_totp(s, actor=a, password=password, code=code or None, throttle=_throttle(request)),
        uri=lambda uri: uri,
        notice="Add this key to your authenticator app, then enter the code it shows.",
    )


@router.post("/account/totp/confirm", include_in_schema=False)
def totp_confirm(request: Request, code: str = Form("")) -> Any:
    return _act(
        request, lambda s, a: auth_sessions.confirm_totp(s, actor=a, code=code), notice="Two-step sign-in is on."
    )


@router.post("/account/totp/disable", include_in_schema=False)
def totp_disable(request: Request, password: str = Form(""), code: str = Form("")) -> Any:
    return _act(
        request,
        lambda s, a: accounts.remove_totp(s, actor=a, password=password, code=code, throttle=_throttle(request)),
        notice="Two-step sign-in is off.",
    )


@router.get("/account/reset", include_in_schema=False)
def reset_form(request: Request, token: str = "") -> Any:
    return render(request, "account_reset.html", {"title": "Choose a new password", "token": token[:200]})


@router.post("/account/reset", include_in_schema=False)
def reset_submit(request: Request, token: str = Form(""), new_password: str = Form("")) -> Any:
    client = request.client.host if request.client else "unknown"
    try:
        with unit_of_work(request) as s:
            accounts.complete_reset(s, token=token, new_password=new_password, client=client)
    except FiliformError as exc:
        context = {"title": "Choose a new password", "token": token[:200], "errors": [exc.message, *exc.details]}
        return render(request, "account_reset.html", context, status_code=422)
    return RedirectResponse("/login", status_code=303)


def _users_page(request: Request, s: Session, actor: Actor, **extra: Any) -> Any:
    rows = accounts.list_users(s, actor=actor)
    status = 422 if extra.get("errors") else 200
    return render(request, "admin_users.html", {"title": "Users", "users": rows, **extra}, status_code=status)


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request) -> Any:
    return run_page(request, lambda s, actor: _users_page(request, s, actor))


@router.post("/admin/users/{user_id}/{action}", include_in_schema=False)
def user_action(request: Request, user_id: int, action: str) -> Any:
    if actor_or_none(request) is None:
        return login_redirect(request)
    verbs: dict[str, Callable[[Session, Actor], Any]] = {
        "reset": lambda s, a: accounts.admin_reset(s, actor=a, user_id=user_id),
        "reactivate": lambda s, a: accounts.reactivate(s, actor=a, user_id=user_id),
        "deactivate": lambda s, a: users.deactivate_user(s, actor=a, user_id=user_id),
    }
    if action not in verbs:
        return RedirectResponse("/admin/users", status_code=303)

    def body(s: Session, actor: Actor) -> Any:
        try:
            with s.begin_nested():
                result = verbs[action](s, actor)
        except FiliformError as exc:
            return _users_page(request, s, actor, errors=[exc.message, *exc.details])
        token = {"reset_token": result, "reset_user": user_id} if action == "reset" else {}
        return _users_page(request, s, actor, **token)

    return run_page(request, body)
