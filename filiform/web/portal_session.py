"""Opening a patient link and running a patient page inside its portal session.

:func:`patient_page` is the one way a patient page runs: it finds the link behind the
portal cookie (or shows "this page needs your link"), applies the per-session rate limit,
runs the body in one write transaction (even for a GET: every patient page counts its
own tries and audits its own views) and commits even when the body answers with a refusal,
so the audit rows and failure counters of refused attempts are never rolled back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from filiform.errors import Conflict, FiliformError
from filiform.locale import gettext as _
from filiform.services.portal import links
from filiform.services.portal.links import LinkRefused
from filiform.services.records.clinic_settings import letterhead
from filiform.storage.models import PortalLink

from .common import writing_unit_of_work
from .portal_render import PORTAL_COOKIE, choose_lang, clock_of, render_portal, throttle_of


def too_many(request: Request, seconds: float) -> Any:
    choose_lang(request)
    response = render_portal(
        request,
        "portal/message.html",
        {"title": _("Please wait"), "message": _("Too many tries. Please wait a few minutes and try again.")},
        status_code=429,
    )
    response.headers["retry-after"] = str(int(seconds) + 1)
    return response


def refused(request: Request, status: int = 404) -> Any:
    return render_portal(
        request,
        "portal/message.html",
        {
            "title": _("This link cannot be used"),
            "message": _(
                "The link has expired, was already used, or was stopped by the clinic. "
                "Please ask the clinic for a new link."
            ),
        },
        status_code=status,
    )


def needs_link(request: Request) -> Any:
    choose_lang(request)
    return render_portal(
        request,
        "portal/message.html",
        {
            "title": _("Please open your link again"),
            "message": _(
                "This page only works after you open the link the clinic sent you. Your session may have ended."
            ),
        },
        status_code=403,
    )


def patient_page(request: Request, body: Callable[[Session, PortalLink], Any]) -> Any:
    """Run ``body`` for the link behind the portal cookie, or answer why not."""
    token = request.cookies.get(PORTAL_COOKIE, "")
    throttle = throttle_of(request)
    with writing_unit_of_work(request) as session:
        now = clock_of(request).now()
        link = links.current(session, session_token=token, now=now)
        if link is None:
            return needs_link(request)
        key = f"link:{link.id}"
        wait = throttle.requests.retry_after(session, key, now)
        if wait:
            links.audit_patient(session, link, "refused", "portal_link", link.id, {"reason": "rate_limit"})
            return too_many(request, wait)
        throttle.requests.hit(session, key, now)
        choose_lang(request, link.lang)
        try:
            with session.begin_nested():
                return body(session, link)
        except Conflict:
            message = _("This form has already been sent. Thank you.")
            return render_portal(
                request, "portal/message.html", {"title": _("Already done"), "message": message}, status_code=409
            )
        except FiliformError:
            message = _("This could not be saved. Please check your answers, or contact the clinic.")
            return render_portal(
                request, "portal/message.html", {"title": _("Not possible"), "message": message}, status_code=422
            )


def start(request: Request, token: str, birth_date: date | None, *, submit: bool) -> tuple[Any, str | None]:
    """The start page (GET) or spending the token (POST): (response, new session token or None)."""
    throttle = throttle_of(request)
    client = request.client.host if request.client else "unknown"
    with writing_unit_of_work(request) as session:
        now = clock_of(request).now()
        wait = throttle.failures.retry_after(session, f"client:{client}", now)
        if wait:
            return too_many(request, wait), None
        try:
            link = links.find(session, token, now)
        except LinkRefused:
            throttle.failures.hit(session, f"client:{client}", now)
            choose_lang(request)
            return refused(request), None
        choose_lang(request, link.lang)
        head = letterhead(session, link.clinic_id)
        context: dict[str, Any] = {"title": head.name, "head": head, "link": link, "token": token}
        if not submit:
            links.audit_patient(session, link, "view", "portal_link", link.id, {"page": "start"})
            return render_portal(request, "portal/start.html", context), None
        left = links.check_birth_date(session, link, birth_date)
        if left is not None:
            throttle.failures.hit(session, f"client:{client}", now)
            if left <= 0:
                return refused(request, 403), None
            message = _("The date of birth does not match. Tries left: %(left)s.") % {"left": left}
            return render_portal(request, "portal/start.html", {**context, "errors": [message]}, status_code=422), None
        session_token = links.begin(session, link=link, now=now)
        return None, session_token
