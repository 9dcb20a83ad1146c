"""Screening: the intake questionnaire, the engine's decision per technique, stored.

One question per row with yes / no / not asked side by side, in groups with a "none of the
following" box; the consent questions come from the consent page. Saving stores answers
and decision together and shows the stored result (so reloading never screens twice),
with the current decision above the form. The form keeps a draft while it is typed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from filiform.core.concepts.patient import age_on
from filiform.core.safety.decision import ScreeningResult
from filiform.core.safety.intake import QUESTIONS
from filiform.core.safety.screening import evaluate
from filiform.errors import ValidationFailed
from filiform.services.access.context import Actor
from filiform.services.records import clinical, patients

from . import drafts
from .common import attempt, clinic_today, clinic_zone, form_int, render, run_page
from .labels import DECISION_NAMES
from .screening_form import apply_none_of, fields, groups, intake_from_form, readable, result_table, site_options

__all__ = ["ENGINE_VERSION", "fields", "intake_from_form", "site_options"]

router = APIRouter()
ENGINE_VERSION = "web-3"
DRAFT = "screening"


def _current(s: Session, actor: Actor, patient_id: int) -> dict[str, Any] | None:
    """The latest stored decision, for the line above the form."""
    row = clinical.latest_screening(s, actor=actor, patient_id=patient_id)
    if row is None:
        return None
    try:
        decision = ScreeningResult.model_validate(row.decision).decision.value
    except ValidationError:
        return None
    return {"id": row.id, "at": row.screened_at, "decision": decision, "word": DECISION_NAMES[decision]}


def _page(request: Request, s: Session, actor: Actor, patient: Any, **extra: Any) -> Any:
    today = clinic_today(s, actor)
    consent, carried = clinical.consent_answers(s, patient, today)
    context = {
        "title": "Screening",
        "patient": patient,
        "groups": groups(carried),
        "carried": {QUESTIONS[k]: v for k, v in carried.items()},
        "consent": consent,
        "form": {"age": str(age_on(patient.birth_date, today))},
        "site_options": site_options(),
        "current": _current(s, actor, patient.id),
        "tz": clinic_zone(s, actor),
        "notice": request.query_params.get("saved", ""),
        **extra,
    }
    return render(request, "screening.html", context, status_code=422 if extra.get("errors") else 200)


@router.get("/patients/{patient_id}/screening", include_in_schema=False)
def screening_form(request: Request, patient_id: int) -> Any:
    result_id = form_int(request.query_params.get("result"))

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        if result_id is None:
            return _page(request, s, actor, patient)
        row = clinical.get_screening(s, actor=actor, patient_id=patient_id, screening_id=result_id)
        result = ScreeningResult.model_validate(row.decision)
        context = {
            "title": "Screening result",
            "patient": patient,
            "result": result,
            "table": result_table(result),
            "missing": [QUESTIONS.get(q, q.replace("_", " ")) for q in result.missing_answers],
            "screened_at": row.screened_at,
            "tz": clinic_zone(s, actor),
        }
        return render(request, "screening_result.html", context)

    return run_page(request, body)


def _answers(form: dict[str, str], carried: dict[str, str], errors: list[str]) -> Any:
    try:
        return intake_from_form({**apply_none_of(form), **carried})
    except ValidationError as exc:
        errors.extend(readable(exc))
    except ValidationFailed as exc:
        errors.extend([exc.message, *exc.details] if not exc.details else exc.details)
    return None


@router.post("/patients/{patient_id}/screening", include_in_schema=False)
async def screening_submit(request: Request, patient_id: int) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        errors: list[str] = []
        today = clinic_today(s, actor)
        _consent, carried = clinical.consent_answers(s, patient, today)
        intake = _answers(form, carried, errors)
        saved = None
        if intake is not None:
            decided = evaluate(intake, on=today)
            saved = attempt(
                s,
                errors,
                lambda: clinical.record_screening(
                    s,
                    actor=actor,
                    patient_id=patient_id,
                    answers=intake.model_dump(mode="json"),
                    result=decided,
                    engine_version=ENGINE_VERSION,
                ),
            )
        if saved is None:
            return _page(request, s, actor, patient, form=form, errors=errors, posted=True)
        drafts.discard(s, actor, patient_id, DRAFT)
        return RedirectResponse(f"/patients/{patient_id}/screening?result={saved.id}", status_code=303)

    return run_page(request, body)
