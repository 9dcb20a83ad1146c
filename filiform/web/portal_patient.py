"""The patient's own pages (``/p/...``): open the link, the list of forms, the health
questions and the pain drawing.  Consent, questionnaires and aftercare are in
:mod:`filiform.web.portal_forms`.  Every page is audited as the patient.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from filiform.core.concepts.clock import local_date
from filiform.core.portal import plain_questions as pq
from filiform.errors import FiliformError, ValidationFailed
from filiform.locale import gettext as _
from filiform.services.portal import econsent, intake, links
from filiform.services.records.clinic_settings import letterhead
from filiform.storage.models import IntakeProposal, Patient, PortalLink

from .chart import chart_sheets, parse_regions
from .portal_intake_form import intake_fields, parse_intake
from .portal_render import PORTAL_COOKIE, choose_lang, clock_of, render_portal, set_portal_cookie
from .portal_session import patient_page, start

router = APIRouter()


def _body_sheet() -> str:
    """The atlas's whole-body sheet: what fits a phone; the clinic's chart has every sheet."""
    return next(svg for sid, _title, svg in chart_sheets() if sid == "body")


def _parse_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


@router.get("/p/home", include_in_schema=False)
def home(request: Request) -> Any:
    def body(s: Session, link: PortalLink) -> Any:
        head = letterhead(s, link.clinic_id)
        consents = econsent.active_consents(s, link.patient_id, clock_of(request).now())
        links.audit_patient(s, link, "view", "portal_link", link.id, {"page": "home"})
        return render_portal(
            request,
            "portal/home.html",
            {"title": head.name, "head": head, "link": link, "can_withdraw": bool(consents)},
        )

    return patient_page(request, body)


@router.post("/p/logout", include_in_schema=False)
def logout(request: Request) -> Any:
    def body(s: Session, link: PortalLink) -> Any:
        links.end_session(s, link)
        response = render_portal(
            request, "portal/message.html", {"title": _("Thank you"), "message": _("You can close this page now.")}
        )
        response.delete_cookie(PORTAL_COOKIE, path="/p")
        return response

    return patient_page(request, body)


def _proposal(s: Session, link: PortalLink) -> IntakeProposal | None:
    return s.query(IntakeProposal).filter(IntakeProposal.link_id == link.id).one_or_none()


@router.get("/p/intake", include_in_schema=False)
def intake_page(request: Request) -> Any:
    def body(s: Session, link: PortalLink) -> Any:
        if "intake" not in link.forms:
            raise ValidationFailed("not sent")
        patient = s.get(Patient, link.patient_id)
        assert patient is not None
        today = local_date(clock_of(request).now(), letterhead(s, link.clinic_id).timezone)
        age = (
            today.year
            - patient.birth_date.year
            - ((today.month, today.day) < (patient.birth_date.month, patient.birth_date.day))
        )
        proposal = _proposal(s, link)
        form: dict[str, str] = {"age": str(age)}
        if proposal is not None:
            form.update({k: str(v) for k, v in proposal.answers.items() if isinstance(v, str | int | float)})
            form.update({f"where_{k}": v for k, v in proposal.notes.items()})
            form.update({"medicines": proposal.medicines or "", "allergies": proposal.allergies or ""})
        links.audit_patient(s, link, "view", "intake_proposal", None, {"page": "intake"})
        return render_portal(
            request, "portal/intake.html", {"title": _("Health questions"), "sections": intake_fields(), "form": form}
        )

    return patient_page(request, body)


@router.post("/p/intake", include_in_schema=False)
async def intake_submit(request: Request) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def body(s: Session, link: PortalLink) -> Any:
        answers, notes, errors = parse_intake(form)
        if not errors:
            try:
                with s.begin_nested():
                    intake.submit_intake(
                        s,
                        link=link,
                        answers=answers,
                        notes=notes,
                        medicines=form.get("medicines", ""),
                        allergies=form.get("allergies", ""),
                        now=clock_of(request).now(),
                    )
            except ValidationFailed as exc:
                errors = [
                    _("Please check this answer: %(q)s") % {"q": _(pq.PLAIN_QUESTIONS[d])}
                    for d in exc.details
                    if d in pq.PLAIN_QUESTIONS
                ]
                errors = errors or [_("Some answers do not fit together. Please check them.")]
        if errors:
            return render_portal(
                request,
                "portal/intake.html",
                {"title": _("Health questions"), "sections": intake_fields(), "form": form, "errors": errors},
                status_code=422,
            )
        return RedirectResponse("/p/drawing" if "drawing" in link.forms else "/p/home", status_code=303)

    return patient_page(request, body)


@router.get("/p/drawing", include_in_schema=False)
def drawing_page(request: Request) -> Any:
    def body(s: Session, link: PortalLink) -> Any:
        if "drawing" not in link.forms:
            raise ValidationFailed("not sent")
        proposal = _proposal(s, link)
        initial = proposal.drawing if proposal is not None and proposal.drawing else []
        links.audit_patient(s, link, "view", "intake_proposal", None, {"page": "drawing"})
        return render_portal(
            request,
            "portal/drawing.html",
            {
                "title": _("Where is your pain?"),
                "svg": _body_sheet(),
                "initial": json.dumps(initial),
            },
        )

    return patient_page(request, body)


@router.post("/p/drawing", include_in_schema=False)
async def drawing_submit(request: Request) -> Any:
    form = await request.form()
    raw = str(form.get("regions_json", "[]"))

    def body(s: Session, link: PortalLink) -> Any:
        try:
            regions = parse_regions(json.loads(raw))
            with s.begin_nested():
                intake.submit_drawing(s, link=link, regions=regions, now=clock_of(request).now())
        except (ValueError, FiliformError):
            return render_portal(
                request,
                "portal/drawing.html",
                {
                    "title": _("Where is your pain?"),
                    "svg": _body_sheet(),
                    "initial": "[]",
                    "errors": [_("Please paint at least one place where you feel pain.")],
                },
                status_code=422,
            )
        return RedirectResponse("/p/consent" if "consent" in link.forms else "/p/home", status_code=303)

    return patient_page(request, body)


@router.get("/p/{token}", include_in_schema=False)
def open_link(request: Request, token: str) -> Any:
    response, _session = start(request, token, None, submit=False)
    return response


@router.post("/p/{token}", include_in_schema=False)
async def begin_link(request: Request, token: str) -> Any:
    form = await request.form()
    born = _parse_date(str(form.get("birth_date", "")))
    response, session_token = start(request, token, born, submit=True)
    if session_token is None:
        return response
    choose_lang(request)
    redirect = RedirectResponse("/p/home", status_code=303)
    set_portal_cookie(request, redirect, session_token)
    return redirect
