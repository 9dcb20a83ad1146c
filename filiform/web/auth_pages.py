"""Login and logout pages: the HTML face of ``filiform.services.access.auth_sessions``.

The browser gets only the opaque session token; the security middleware writes and clears
the HttpOnly, SameSite=Lax cookie (``request.state.login_token`` / ``logout``) so cookie
rules live in one place, and turns the cookie back into the actor on each request.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from filiform.services.access import auth_sessions

from .common import actor_or_none, render, unit_of_work

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect after login would help phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/patients"
    return target


REASONS = {
    "idle": "You were signed out because nothing was typed or tapped for a while.",
    "expired": "Your session had ended, so that was not saved yet.",
}


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str | None = None, reason: str = "") -> Any:
    if actor_or_none(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    context = {"title": "Sign in", "next": _safe_next(next), "needs_totp": False, "username": ""}
    if reason in REASONS:
        back = " Sign in again to go back to the form: what you typed was kept as a draft."
        context["notice"] = REASONS[reason] + (back if _safe_next(next) != "/patients" else "")
    return render(request, "login.html", context)


@router.post("/login", include_in_schema=False)
def login_submit(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    totp: str = Form(""),
    next: str = Form("/patients"),
) -> Any:
    client = request.client.host if request.client else "unknown"
    with unit_of_work(request) as session:
        result = auth_sessions.login(
            session,
            username=username,
            password=password,
            totp=totp or None,
            client=client,
            throttle=getattr(request.app.state, "login_throttle", None),
        )
    if not result.ok or result.token is None:
        return render(
            request,
            "login.html",
            {
                "title": "Sign in",
                "next": _safe_next(next),
                "username": username,
                "needs_totp": result.needs_totp,
                "errors": [result.error or "login failed"],
            },
            status_code=401 if not result.needs_totp else 200,
        )
    request.state.login_token = result.token  # the security middleware sets the cookie
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", include_in_schema=False)
def logout(request: Request) -> Any:
    token = request.cookies.get(auth_sessions.COOKIE_NAME, "")
    if token:
        with unit_of_work(request) as session:
            auth_sessions.logout(session, token=token)
    request.state.logout = True  # the security middleware clears the cookie
    return RedirectResponse("/login", status_code=303)
