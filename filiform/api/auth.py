"""JSON login, log-off, who-am-I and TOTP enrolment.

The session cookie is set by the security middleware from ``request.state.login_token``;
unsafe methods (login included) need the CSRF token from ``GET /api/auth/csrf``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from filiform.api.deps import NotAuthenticated, StrictIn, actor, ok, tx
from filiform.services.access import auth_sessions
from filiform.services.access.context import PERMISSIONS, Actor
from filiform.storage.models import User

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(StrictIn):
    username: Annotated[str, Field(min_length=1, max_length=120)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    totp: Annotated[str, Field(min_length=6, max_length=10)] | None = None


class CodeIn(StrictIn):
    code: Annotated[str, Field(min_length=6, max_length=10)]


def _me(user: User | None, who: Actor) -> dict[str, Any]:
    return {
        "user_id": who.user_id,
        "clinic_id": who.clinic_id,
        "role": who.role.value,
        "username": user.username if user else None,
        "display_name": user.display_name if user else None,
        "permissions": sorted(p.value for p in PERMISSIONS[who.role]),
    }


@router.get("/csrf")
def csrf(request: Request) -> dict[str, Any]:
    """The CSRF token to echo in ``X-CSRF-Token`` (its cookie is set on this response)."""
    return ok({"csrf_token": request.state.csrf_token})


@router.post("/login")
def login(body: LoginIn, request: Request) -> Any:
    client = request.client.host if request.client else "unknown"
    with tx(request) as s:
        result = auth_sessions.login(
            s,
            username=body.username,
            password=body.password,
            totp=body.totp,
            client=client,
            throttle=request.app.state.login_throttle,
        )
        user = s.get(User, result.actor.user_id) if result.actor else None
    if result.retry_after > 0:
        return JSONResponse(
            {"ok": False, "error": result.error, "code": "too_many_requests", "details": []},
            status_code=429,
            headers={"Retry-After": str(math.ceil(result.retry_after))},
        )
    if not result.ok or result.actor is None:
        code = "totp_required" if result.needs_totp else "login_failed"
        return JSONResponse({"ok": False, "error": result.error, "code": code, "details": []}, status_code=401)
    request.state.login_token = result.token
    return ok(_me(user, result.actor))


@router.post("/logout")
def logout(request: Request) -> dict[str, Any]:
    token = request.cookies.get(auth_sessions.COOKIE_NAME, "")
    with tx(request) as s:
        auth_sessions.logout(s, token=token)
    request.state.logout = True
    return ok({"logged_out": True})


@router.get("/me")
def me(request: Request) -> dict[str, Any]:
    who = actor(request)
    with tx(request) as s:
        user = s.get(User, who.user_id)
        enabled = auth_sessions.totp_enabled(s, user_id=who.user_id)
    if user is None:
        raise NotAuthenticated("log in first")
    return ok({**_me(user, who), "totp_enabled": enabled})


@router.post("/totp")
def totp_start(request: Request) -> dict[str, Any]:
    """Start TOTP enrolment: show ``provisioning_uri`` as a QR code, then confirm a code."""
    who = actor(request)
    with tx(request) as s:
        uri = auth_sessions.enable_totp(s, actor=who)
    return ok({"provisioning_uri": uri})


@router.post("/totp/confirm")
def totp_confirm(body: CodeIn, request: Request) -> dict[str, Any]:
    who = actor(request)
    with tx(request) as s:
        auth_sessions.confirm_totp(s, actor=who, code=body.code)
    return ok({"totp_enabled": True})
