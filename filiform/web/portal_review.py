"""A clinician reviews a proposed intake: the patient's answers beside the clinician's form
(pre-filled with them), corrects, and confirms it into a screening (or sets it aside)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from filiform.core.portal.plain_questions import PLAIN_QUESTIONS
from filiform.core.safety.screening import evaluate
from filiform.errors import ValidationFailed
from filiform.reports.pdf import chart_markup
from filiform.services.access.context import Actor
from filiform.services.portal import intake
from filiform.services.records import patients

from .common import attempt, clinic_today, render, run_page
from .labels import DECISION_NAMES, TECHNIQUE_NAMES
from .portal_render import clock_of
from .screening import ENGINE_VERSION, fields, intake_from_form, site_options

router = APIRouter()


def _form_of(answers: dict[str, Any]) -> dict[str, str]:
    """Stored answers as the clinician form's strings (lists joined, None empty)."""
    out: dict[str, str] = {}
    for key, value in answers.items():
        if isinstance(value, list):
            out[key] = ", ".join(
                v if isinstance(v, str) else f"{v.get('site', v.get('target'))}@{v.get('on')}" for v in value
            )
        elif value is not None:
            out[key] = str(value)
    return out


def _page(request: Request, s: Session, actor: Actor, patient_id: int, proposal_id: int, **extra: Any) -> Any:
    patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
    row = intake.proposal(s, actor=actor, proposal_id=proposal_id)
    if row.patient_id != patient_id:
        raise ValidationFailed("that intake belongs to another patient")
    context = {
        "title": "Review proposed intake",
        "patient": patient,
        "proposal": row,
        "fields": fields(),
        "site_options": site_options(),
        "plain": PLAIN_QUESTIONS,
        "form": _form_of(row.answers),
        "drawing": chart_markup(row.drawing, "Patient's drawing") if row.drawing else None,
        "technique_names": TECHNIQUE_NAMES,
        "decision_names": DECISION_NAMES,
        **extra,
    }
    return render(request, "portal/staff_review.html", context, status_code=422 if extra.get("errors") else 200)


@router.get("/patients/{patient_id}/portal/intake/{proposal_id}", include_in_schema=False)
def review(request: Request, patient_id: int, proposal_id: int) -> Any:
    return run_page(request, lambda s, a: _page(request, s, a, patient_id, proposal_id))


@router.post("/patients/{patient_id}/portal/intake/{proposal_id}", include_in_schema=False)
async def confirm(request: Request, patient_id: int, proposal_id: int) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def body(s: Session, actor: Actor) -> Any:
        errors: list[str] = []
        if form.get("action") == "set_aside":
            saved = attempt(
                s,
                errors,
                lambda: intake.set_aside(s, actor=actor, proposal_id=proposal_id, reason=form.get("reason", "")),
            )
            if saved is None:
                return _page(request, s, actor, patient_id, proposal_id, errors=errors)
            return RedirectResponse(f"/patients/{patient_id}/portal", status_code=303)
        try:
            answers = intake_from_form(form)
            result = evaluate(answers, on=clinic_today(s, actor))
        except (ValidationError, ValidationFailed) as exc:
            errors.append("Some answers are not valid")
            if isinstance(exc, ValidationError):
                errors.extend(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            else:
                errors.extend([exc.message, *exc.details])
            return _page(request, s, actor, patient_id, proposal_id, errors=errors, form=form)
        done = attempt(
            s,
            errors,
            lambda: intake.confirm(
                s,
                actor=actor,
                proposal_id=proposal_id,
                intake=answers,
                result=result,
                engine_version=ENGINE_VERSION,
                save_drawing=form.get("save_drawing") == "yes",
                now=clock_of(request).now(),
            ),
        )
        if done is None:
            return _page(request, s, actor, patient_id, proposal_id, errors=errors, form=form)
        return _page(request, s, actor, patient_id, proposal_id, result=result, confirmed=True)

    return run_page(request, body)
