"""The consent page: what was explained, and the clinician's confirmations screening relies on.

The form (version :data:`filiform.services.records.clinical.CLINIC_CONSENT_FORM`) asks the
clinician to confirm that the patient can consent and agreed, and for a patient under 18
that a parent or guardian consented; screening then carries these answers instead of
asking them again (``clinical.consent_answers``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from filiform.core.concepts import ConsentDetails
from filiform.core.concepts.patient import age_on
from filiform.core.concepts.values import filled
from filiform.services.access.context import Actor
from filiform.services.records import clinical, patients

from .common import attempt, clinic_today, render, run_page

router = APIRouter()
CONFIRMATIONS = {
    "explained": "Confirm that risks, benefits and alternatives were explained and questions answered",
    "capacity": "Confirm that the patient can understand the risks and give informed consent",
    "agreed": "Confirm that the patient agreed to dry needling",
}
GUARDIAN = "The patient is under 18: confirm that a parent or guardian consented and the young person agreed"


def _page(request: Request, patient: Any, today: str, minor: bool, **extra: Any) -> Any:
    context = {
        "title": "Consent",
        "patient": patient,
        "form_version": clinical.CLINIC_CONSENT_FORM,
        "today": today,
        "minor": minor,
        "form": {},
        **extra,
    }
    return render(request, "consent.html", context, status_code=422 if extra.get("errors") else 200)


@router.get("/patients/{patient_id}/consent", include_in_schema=False)
def consent_form(request: Request, patient_id: int) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        today = clinic_today(s, actor)
        return _page(request, patient, today.isoformat(), age_on(patient.birth_date, today) < 18)

    return run_page(request, body)


@router.post("/patients/{patient_id}/consent", include_in_schema=False)
async def consent_submit(request: Request, patient_id: int) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        today = clinic_today(s, actor)
        minor = age_on(patient.birth_date, today) < 18
        errors = [text for name, text in CONFIRMATIONS.items() if form.get(name) != "yes"]
        if minor and form.get("guardian") != "yes":
            errors.append(GUARDIAN)
        typed = filled({k: form.get(k, "") for k in ("consented_on", "notes")})
        fields = {"form_version": clinical.CLINIC_CONSENT_FORM, **typed}
        if not errors:
            attempt(
                s,
                errors,
                lambda: clinical.record_consent(
                    s, actor=actor, patient_id=patient_id, details=ConsentDetails.parse(fields, lax=True)
                ),
            )
        if errors:
            return _page(request, patient, form.get("consented_on", ""), minor, errors=errors, form=form)
        return RedirectResponse(f"/patients/{patient_id}/screening?saved=consent", status_code=303)

    return run_page(request, body)
