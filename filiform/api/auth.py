"""JSON login, log-off, who-am-I, TOTP enrolment, password change and reset.

The session cookie is set by the security middleware from ``request.state.login_token``;
unsafe methods (login included) need the CSRF token from ``GET /api/auth/csrf``.
Changing the second factor needs the password and, once TOTP is in force, a current code
(``services.access.accounts``).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from filiform.api.deps import NotAuthenticated, StrictIn, actor, ok, tx
from filiform.services.access import accounts, auth_sessions
from filiform.services.access.auth_cookies import session_token, token_hash
from filiform.services.access.context import PERMISSIONS, Actor
from filiform.storage.models import User

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(StrictIn):
    username: Annotated[str, Field(min_length=1, max_length=120)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    totp: Annotated[str, Field(min_length=6, max_length=10)] | None = None


class CodeIn(StrictIn):
    code: Annotated[str, Field(min_length=6, max_length=10)]


Password = Annotated[str, Field(min_length=1, max_length=1024)]


class TotpChangeIn(StrictIn):
    password: Password
    code: Annotated[str, Field(min_length=6, max_length=10)] | None = None


class TotpOffIn(StrictIn):
    password: Password
    code: Annotated[str, Field(min_length=6, max_length=10)]


class PasswordChangeIn(StrictIn):
    current_password: Password
    new_password: Password


class ResetIn(StrictIn):
    token: Annotated[str, Field(min_length=20, max_length=200)]
    new_password: Password


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
def totp_start(body: TotpChangeIn, request: Request) -> dict[str, Any]:
    """Start (or redo) TOTP enrolment with the password (and a current code once enrolled);
    show ``provisioning_uri`` as a QR code, then confirm a code."""
    who = actor(request)
    with tx(request) as s:
        uri = accounts.start_totp(
            s, actor=who, password=body.password, code=body.code, throttle=request.app.state.login_throttle
        )
    return ok({"provisioning_uri": uri})


@router.post("/totp/disable")
def totp_disable(body: TotpOffIn, request: Request) -> dict[str, Any]:
    who = actor(request)
    with tx(request) as s:
        accounts.remove_totp(
            s, actor=who, password=body.password, code=body.code, throttle=request.app.state.login_throttle
        )
    return ok({"totp_enabled": False})


@router.post("/password")
def password_change(body: PasswordChangeIn, request: Request) -> dict[str, Any]:
    """Change one's own password; the user's other sessions end."""
    who = actor(request)
    token = session_token(request.cookies.get(auth_sessions.COOKIE_NAME, ""))
    with tx(request) as s:
        ended = accounts.change_password(
            s,
            actor=who,
            current_password=body.current_password,
            new_password=body.new_password,
            keep_session=token_hash(token) if token else None,
            throttle=request.app.state.login_throttle,
        )
    return ok({"changed": True, "other_sessions_ended": ended})


@router.post("/reset")
def password_reset(body: ResetIn, request: Request) -> dict[str, Any]:
    """Choose a new password with a one-time token from an administrator (no login)."""
    client = request.client.host if request.client else "unknown"
    with tx(request) as s:
        accounts.complete_reset(s, token=body.token, new_password=body.new_password, client=client)
    return ok({"changed": True})


@router.post("/totp/confirm")
def totp_confirm(body: CodeIn, request: Request) -> dict[str, Any]:
    who = actor(request)
    with tx(request) as s:
        auth_sessions.confirm_totp(s, actor=who, code=body.code)
    return ok({"totp_enabled": True})
