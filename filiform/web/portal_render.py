"""Plumbing shared by the patient pages: their own layout, the patient's language, the
clock, the portal-session cookie and the rate limits.

Patient pages never use the clinic layout (no clinic navigation, no staff names) and never
read ``request.state.actor``: a staff login on the same device gives the patient nothing.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from filiform.core.concepts.clock import Clock, SystemClock
from filiform.locale import LANGUAGES, current_lang, gettext, negotiate, ngettext
from filiform.services.portal.throttle import PortalThrottle

from .common import TEMPLATE_DIR, csrf_token

PORTAL_COOKIE = "filiform_portal"
LANG_COOKIE = "filiform_lang"
_env = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    auto_reload=False,  # packaged templates: no stat per render (see common.templates)
)
_env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
templates = Jinja2Templates(env=_env)


def clock_of(request: Request) -> Clock:
    """The app's clock (tests inject one as ``app.state.clock``), else the real one."""
    clock = getattr(request.app.state, "clock", None)
    return clock if clock is not None else SystemClock()


def throttle_of(request: Request) -> PortalThrottle:
    state = request.app.state
    throttle = getattr(state, "portal_throttle", None)
    if throttle is None:
        throttle = PortalThrottle()
        state.portal_throttle = throttle
    assert isinstance(throttle, PortalThrottle)
    return throttle


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def base_url(request: Request) -> str:
    """Where links point: ``FILIFORM_PUBLIC_URL`` if set, else the address this page was asked on."""
    return os.environ.get("FILIFORM_PUBLIC_URL", "").rstrip("/") or str(request.base_url).rstrip("/")


def choose_lang(request: Request, preferred: str | None = None) -> str:
    """The patient's language: ``?lang=``, their cookie, the link's, the browser's, English."""
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or preferred
    lang = negotiate(wanted, request.headers.get("accept-language"))
    current_lang.set(lang)
    return lang


def secure_cookie(request: Request) -> bool:
    host = (request.url.hostname or "").lower()
    return request.url.scheme == "https" or host not in ("127.0.0.1", "localhost", "::1", "testserver")


def set_portal_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        PORTAL_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookie(request), path="/p"
    )


def render_portal(request: Request, name: str, context: dict[str, Any], *, status_code: int = 200) -> Any:
    """A patient page in the patient's language (set by :func:`choose_lang`)."""
    lang = current_lang.get()
    ctx = {"csrf_token": csrf_token(request), "lang": lang, "languages": LANGUAGES, "errors": [], **context}
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    response.set_cookie(LANG_COOKIE, lang, samesite="strict", secure=secure_cookie(request), path="/p")
    return response
