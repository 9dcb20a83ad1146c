"""JSON login, log-off, who-am-I, TOTP enrolment, password change and reset.

The session cookie is set by the security middleware from ``request.state.login_token``;
unsafe methods (login included) need the CSRF token from ``GET /api/auth/csrf``.
Changing the second factor needs the password and, once TOTP is in force, a current code
(``services.access.accounts``).
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from filiform.api.deps import CurrentActor, Envelope, NotAuthenticated, UnitOfWork
from filiform.api.schemas.auth import (
    CodeIn,
    CsrfToken,
    LoggedOut,
    LoginIn,
    Me,
    PasswordChanged,
    PasswordChangeIn,
    PasswordReset,
    ResetIn,
    TotpChangeIn,
    TotpOffIn,
    TotpStarted,
    TotpState,
)
from filiform.services.access import accounts, auth_sessions
from filiform.services.access.auth_cookies import session_token, token_hash
from filiform.services.access.context import PERMISSIONS, Actor
from filiform.storage.models import User

router = APIRouter(prefix="/auth", tags=["auth"])
_REFUSED: dict[int | str, dict[str, Any]] = {401: {"description": "wrong credentials"}, 429: {"description": "wait"}}


def _me(user: User | None, who: Actor, *, totp_enabled: bool | None = None) -> Me:
    return Me(
        user_id=who.user_id,
        clinic_id=who.clinic_id,
        role=who.role.value,
        username=user.username if user else None,
        display_name=user.display_name if user else None,
        permissions=sorted(p.value for p in PERMISSIONS[who.role]),
        totp_enabled=totp_enabled,
    )


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/csrf", response_model=Envelope[CsrfToken])
def csrf(request: Request) -> Envelope[CsrfToken]:
    """The CSRF token to echo in ``X-CSRF-Token`` (its cookie is set on this response)."""
    return Envelope(data=CsrfToken(csrf_token=request.state.csrf_token))


@router.post("/login", response_model=Envelope[Me], response_model_exclude_none=True, responses=_REFUSED)
def login(body: LoginIn, request: Request, s: UnitOfWork) -> Any:
    """Sign in; a refusal is 401 (or 429 with ``Retry-After`` while throttled)."""
    throttle = request.app.state.login_throttle
    result = auth_sessions.login(
        s, username=body.username, password=body.password, totp=body.totp, client=_client(request), throttle=throttle
    )
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
    return Envelope(data=_me(s.get(User, result.actor.user_id), result.actor))


@router.post("/logout", response_model=Envelope[LoggedOut])
def logout(request: Request, s: UnitOfWork) -> Envelope[LoggedOut]:
    auth_sessions.logout(s, token=request.cookies.get(auth_sessions.COOKIE_NAME, ""))
    request.state.logout = True
    return Envelope(data=LoggedOut())


@router.get("/me", response_model=Envelope[Me])
def me(who: CurrentActor, s: UnitOfWork) -> Envelope[Me]:
    user = s.get(User, who.user_id)
    if user is None:
        raise NotAuthenticated("log in first")
    return Envelope(data=_me(user, who, totp_enabled=auth_sessions.totp_enabled(s, user_id=who.user_id)))


@router.post("/totp", response_model=Envelope[TotpStarted])
def totp_start(body: TotpChangeIn, request: Request, who: CurrentActor, s: UnitOfWork) -> Envelope[TotpStarted]:
    """Start (or redo) TOTP enrolment with the password (and a current code once enrolled);
    show ``provisioning_uri`` as a QR code, then confirm a code."""
    throttle = request.app.state.login_throttle
    uri = accounts.start_totp(s, actor=who, password=body.password, code=body.code, throttle=throttle)
    return Envelope(data=TotpStarted(provisioning_uri=uri))


@router.post("/totp/disable", response_model=Envelope[TotpState])
def totp_disable(body: TotpOffIn, request: Request, who: CurrentActor, s: UnitOfWork) -> Envelope[TotpState]:
    throttle = request.app.state.login_throttle
    accounts.remove_totp(s, actor=who, password=body.password, code=body.code, throttle=throttle)
    return Envelope(data=TotpState(totp_enabled=False))


@router.post("/totp/confirm", response_model=Envelope[TotpState])
def totp_confirm(body: CodeIn, who: CurrentActor, s: UnitOfWork) -> Envelope[TotpState]:
    auth_sessions.confirm_totp(s, actor=who, code=body.code)
    return Envelope(data=TotpState(totp_enabled=True))


@router.post("/password", response_model=Envelope[PasswordChanged])
def password_change(
    body: PasswordChangeIn, request: Request, who: CurrentActor, s: UnitOfWork
) -> Envelope[PasswordChanged]:
    """Change one's own password; the user's other sessions end."""
    token = session_token(request.cookies.get(auth_sessions.COOKIE_NAME, ""))
    ended = accounts.change_password(
        s,
        actor=who,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session=token_hash(token) if token else None,
        throttle=request.app.state.login_throttle,
    )
    return Envelope(data=PasswordChanged(other_sessions_ended=ended))


@router.post("/reset", response_model=Envelope[PasswordReset])
def password_reset(body: ResetIn, request: Request, s: UnitOfWork) -> Envelope[PasswordReset]:
    """Choose a new password with a one-time token from an administrator (no login)."""
    accounts.complete_reset(s, token=body.token, new_password=body.new_password, client=_client(request))
    return Envelope(data=PasswordReset())
