"""Patient list and search, registration, the patient's timeline and consent capture."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from filiform.core.concepts import ConsentDetails, Demographics
from filiform.core.concepts.values import filled
from filiform.services.access.context import Actor, Perm
from filiform.services.records import clinical, patients, reads

from .common import attempt, render, run_page

router = APIRouter()
CONSENT_FORM_VERSION = "dn-consent-2026.1"
CONSENT_FIELDS = ("form_version", "consented_on", "notes")


@router.get("/", include_in_schema=False)
def home() -> Any:
    return RedirectResponse("/patients", status_code=303)


@router.get("/patients", include_in_schema=False)
def patient_list(request: Request, q: str = "") -> Any:
    def body(s: Session, actor: Actor) -> Any:
        rows = patients.search_patients(s, actor=actor, family_name_prefix=q.strip(), limit=50)
        return render(request, "patients.html", {"title": "Patients", "rows": rows, "q": q})

    return run_page(request, body)


@router.get("/patients/new", include_in_schema=False)
def new_patient_form(request: Request) -> Any:
    return run_page(request, lambda s, a: render(request, "patient_new.html", {"title": "New patient", "form": {}}))


@router.post("/patients/new", include_in_schema=False)
async def new_patient(request: Request) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def body(s: Session, actor: Actor) -> Any:
        errors: list[str] = []
        fields = filled({k: form.get(k, "") for k in Demographics.model_fields})
        patient = attempt(
            s,
            errors,
            lambda: patients.register_patient(s, actor=actor, details=Demographics.parse(fields, lax=True)),
        )
        if patient is None:
            return render(
                request, "patient_new.html", {"title": "New patient", "form": form, "errors": errors}, status_code=422
            )
        return RedirectResponse(f"/patients/{patient.id}", status_code=303)

    return run_page(request, body)


@router.get("/patients/{patient_id}", include_in_schema=False)
def patient_detail(request: Request, patient_id: int) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        timeline = reads.timeline(s, actor=actor, patient_id=patient_id) if actor.can(Perm.READ_CLINICAL) else None
        consent = clinical.valid_consent(s, patient_id, date.today())
        return render(
            request,
            "patient.html",
            {
                "title": f"{patient.family_name}, {patient.given_name}",
                "patient": patient,
                "timeline": timeline,
                "consent": consent,
            },
        )

    return run_page(request, body)


@router.get("/patients/{patient_id}/consent", include_in_schema=False)
def consent_form(request: Request, patient_id: int) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        return render(
            request,
            "consent.html",
            {
                "title": "Consent",
                "patient": patient,
                "form_version": CONSENT_FORM_VERSION,
                "today": date.today().isoformat(),
            },
        )

    return run_page(request, body)


@router.post("/patients/{patient_id}/consent", include_in_schema=False)
async def consent_submit(request: Request, patient_id: int) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        errors: list[str] = []
        if form.get("explained") != "yes":
            errors.append("Confirm that risks, benefits and alternatives were explained")
        fields = {"form_version": CONSENT_FORM_VERSION, **filled({k: form.get(k, "") for k in CONSENT_FIELDS})}
        if not errors:
            attempt(
                s,
                errors,
                lambda: clinical.record_consent(
                    s, actor=actor, patient_id=patient_id, details=ConsentDetails.parse(fields, lax=True)
                ),
            )
        if errors:
            return render(
                request,
                "consent.html",
                {
                    "title": "Consent",
                    "patient": patient,
                    "errors": errors,
                    "form_version": form.get("form_version", CONSENT_FORM_VERSION),
                    "today": form.get("consented_on", ""),
                },
                status_code=422,
            )
        return RedirectResponse(f"/patients/{patient_id}?saved=consent", status_code=303)

    return run_page(request, body)
