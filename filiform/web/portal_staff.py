"""The clinic's side of the patient portal: send a link (e-mail and QR code), see what came
back, schedule home questionnaires; the clinic-wide inbox.  Reviewing a proposed intake is
in :mod:`filiform.web.portal_review`."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from filiform.core.concepts import Technique
from filiform.core.concepts.clock import show
from filiform.core.outcomes.wording import home_instruments
from filiform.errors import ValidationFailed
from filiform.locale import LANGUAGES
from filiform.reports.qr import qr_svg
from filiform.services.access.context import Actor, Perm
from filiform.services.portal import econsent, intake, links, reports, schedule
from filiform.services.records import patients
from filiform.services.records.clinic_settings import zone_of
from filiform.services.records.plans import anticoagulated, latest_intake, plan_for_patient

from .common import attempt, form_int, render, run_page
from .labels import TECHNIQUE_NAMES
from .plan import conditions
from .portal_render import base_url, clock_of

router = APIRouter()
FORM_NAMES = {
    "intake": "Health questions (proposed intake)",
    "drawing": "Pain drawing",
    "consent": "E-consent",
    "aftercare": "Aftercare advice and problem report",
}


def _hub(request: Request, s: Session, actor: Actor, patient_id: int, **extra: Any) -> Any:
    patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
    now = clock_of(request).now()
    tz = zone_of(s, actor.clinic_id)
    clinical = actor.can(Perm.READ_CLINICAL)
    context = {
        "title": "Patient portal",
        "patient": patient,
        "tz": tz,
        "show": lambda moment: show(moment, tz),
        "links": [(link, links.status_of(link, now)) for link in links.links_of(s, actor=actor, patient_id=patient_id)],
        "proposals": intake.proposals_of(s, actor=actor, patient_id=patient_id) if clinical else [],
        "consents": econsent.econsents_of(s, actor=actor, patient_id=patient_id) if clinical else [],
        "reports": reports.reports_of(s, actor=actor, patient_id=patient_id) if clinical else [],
        "schedule": schedule.active_schedule(s, actor=actor, patient_id=patient_id) if clinical else None,
        "form_names": FORM_NAMES,
        "techniques": TECHNIQUE_NAMES,
        "conditions": conditions(),
        "instruments": home_instruments(),
        "languages": LANGUAGES,
        "appointment": form_int(request.query_params.get("appointment"), None),
        "today": show(now, tz, "%Y-%m-%d"),
        **extra,
    }
    return render(request, "portal/staff_hub.html", context, status_code=422 if extra.get("errors") else 200)


@router.get("/patients/{patient_id}/portal", include_in_schema=False)
def hub(request: Request, patient_id: int) -> Any:
    return run_page(request, lambda s, a: _hub(request, s, a, patient_id))


def _detail(s: Session, actor: Actor, patient: Any, form: dict[str, list[str]]) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "techniques": [t for t in form.get("technique", []) if t in {x.value for x in Technique}],
        "near_chest": form.get("near_chest", [""])[0] == "yes",
    }
    condition = form.get("condition", [""])[0]
    if condition:
        detail["condition"] = condition
    if "aftercare" in form.get("form", []) and actor.can(Perm.READ_CLINICAL):
        found, _screened = latest_intake(s, actor, patient.id)
        detail["anticoagulated"] = anticoagulated(found)
    return detail


@router.post("/patients/{patient_id}/portal/links", include_in_schema=False)
async def send_link(request: Request, patient_id: int) -> Any:
    raw = await request.form()
    form = {k: [str(v) for v in raw.getlist(k)] for k in raw}

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        errors: list[str] = []
        now = clock_of(request).now()
        lang = form.get("lang", ["en"])[0]
        forms = form.get("form", [])
        template = (
            "aftercare_link"
            if "aftercare" in forms
            else "measure_link"
            if any(f.startswith("measure:") for f in forms)
            else "forms_link"
        )

        def issue() -> links.IssuedLink:
            issued = links.issue(
                s,
                actor=actor,
                patient_id=patient_id,
                forms=forms,
                detail=_detail(s, actor, patient, form),
                home_instruments={i.id for i in home_instruments(lang)},
                now=now,
                dob_check=form.get("dob_check", [""])[0] == "yes",
                lang=lang,
                appointment_id=form_int(form.get("appointment_id", [""])[0], None),
            )
            if form.get("email", [""])[0] == "yes":
                schedule.send_link_email(
                    s, issued=issued, template=template, base_url=base_url(request), lang=lang, now=now
                )
            return issued

        issued = attempt(s, errors, issue)
        if issued is None:
            return _hub(request, s, actor, patient_id, errors=errors)
        url = base_url(request) + issued.path
        return _hub(
            request,
            s,
            actor,
            patient_id,
            new_url=url,
            new_qr=Markup(qr_svg(url)),
            emailed=form.get("email", [""])[0] == "yes",
        )

    return run_page(request, body)


@router.post("/patients/{patient_id}/portal/links/{link_id}/revoke", include_in_schema=False)
def revoke_link(request: Request, patient_id: int, link_id: int) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        links.revoke(s, actor=actor, link_id=link_id, now=clock_of(request).now())
        return RedirectResponse(f"/patients/{patient_id}/portal", status_code=303)

    return run_page(request, body)


@router.get("/patients/{patient_id}/portal/consents/{econsent_id}.pdf", include_in_schema=False)
def consent_pdf(request: Request, patient_id: int, econsent_id: int) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        row = econsent.consent_pdf(s, actor=actor, econsent_id=econsent_id)
        if row.patient_id != patient_id:
            raise ValidationFailed("that consent belongs to another patient")
        return Response(
            row.pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="econsent-{row.id}.pdf"',
                "Cache-Control": "no-store",
            },
        )

    return run_page(request, body)


def _dates(raw: str) -> list[date]:
    out = []
    for part in raw.replace(";", ",").split(","):
        if part.strip():
            try:
                out.append(date.fromisoformat(part.strip()))
            except ValueError:
                raise ValidationFailed(f"'{part.strip()[:20]}' is not a date (YYYY-MM-DD)") from None
    return out


@router.post("/patients/{patient_id}/portal/schedule", include_in_schema=False)
async def set_schedule(request: Request, patient_id: int) -> Any:
    raw = await request.form()
    instruments = [str(v) for v in raw.getlist("instrument")]
    condition, side = str(raw.get("condition", "")), str(raw.get("side", "")) or None
    dates_text, every = str(raw.get("due_dates", "")), form_int(raw.get("every_n_sessions"), None)

    def body(s: Session, actor: Actor) -> Any:
        errors: list[str] = []

        def save() -> Any:
            due = _dates(dates_text)
            if condition:  # the plan's re-evaluation date joins the dates given
                patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
                built = plan_for_patient(s, actor, patient, condition=condition, side=side)
                due.append(built.plan.reevaluate_on)
            return schedule.create_schedule(
                s,
                actor=actor,
                patient_id=patient_id,
                instruments=instruments,
                due_dates=due,
                every_n_sessions=every,
                now=clock_of(request).now(),
            )

        if attempt(s, errors, save) is None:
            return _hub(request, s, actor, patient_id, errors=errors)
        return RedirectResponse(f"/patients/{patient_id}/portal?saved=schedule", status_code=303)

    return run_page(request, body)


@router.get("/portal/inbox", include_in_schema=False)
def inbox(request: Request) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        tz = zone_of(s, actor.clinic_id)
        return render(
            request,
            "portal/staff_inbox.html",
            {
                "title": "Patient inbox",
                "proposals": intake.pending_in_clinic(s, actor=actor),
                "reports": reports.open_reports(s, actor=actor),
                "show": lambda moment: show(moment, tz),
            },
        )

    return run_page(request, body)


@router.post("/portal/reports/{report_id}/review", include_in_schema=False)
async def review_report(request: Request, report_id: int) -> Any:
    raw = await request.form()

    def body(s: Session, actor: Actor) -> Any:
        errors: list[str] = []
        attempt(
            s,
            errors,
            lambda: reports.review(
                s, actor=actor, report_id=report_id, adverse_event_id=form_int(raw.get("adverse_event_id"), None)
            ),
        )
        if errors:
            raise ValidationFailed("the report could not be marked", details=errors)
        return RedirectResponse("/portal/inbox", status_code=303)

    return run_page(request, body)
