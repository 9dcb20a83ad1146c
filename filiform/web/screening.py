"""Screening form: the intake questionnaire, the engine's decision per technique, stored.

The form's defaults are "unknown" on purpose (as in ``Intake``): a question nobody asked
must show up as a caution, never as a silent "no".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session

from filiform.core.concepts.site import vocabulary
from filiform.core.safety.decision import ScreeningResult
from filiform.core.safety.intake import (
    DATED_LISTS,
    QUESTIONS,
    SITE_LISTS,
    Intake,
    parse_dated_site,
    parse_muscle_injury,
)
from filiform.core.safety.screening import evaluate
from filiform.errors import ValidationFailed
from filiform.services.access.context import Actor
from filiform.services.records import clinical, patients

from .common import attempt, render, run_page
from .labels import TECHNIQUE_NAMES

router = APIRouter()
ENGINE_VERSION = "web-2"
SELECTS: dict[str, tuple[str, ...]] = {
    "anticoagulant": ("unknown", "no", "vka", "doac", "heparin", "other"),
    "pregnancy_trimester": ("", "1", "2", "3"),
}
NUMBERS = {"inr": "0.1", "age": "1", "bmi": "0.1"}
LIST_HINTS = {
    "corticosteroid_injections": "Where and when (site@date, e.g. <code>left:elbow_joint@2026-01-10</code>)",
    "muscle_injuries": "Which muscle and when (e.g. <code>gastrocnemius:left@2026-03-01</code>)",
}


def fields() -> list[dict[str, Any]]:
    """One entry per question, in the questionnaire's order, with its input kind."""
    out: list[dict[str, Any]] = []
    lists_by_parent = {parent: name for name, parent in {**SITE_LISTS, **DATED_LISTS}.items()}
    for name, text in QUESTIONS.items():
        kind = "select" if name in SELECTS else "number" if name in NUMBERS else "yesno"
        listed = lists_by_parent.get(name)
        out.append(
            {
                "name": name,
                "text": text,
                "kind": kind,
                "options": SELECTS.get(name, ()),
                "step": NUMBERS.get(name),
                "sites": listed,
                "hint": LIST_HINTS.get(listed or "", "Where (sites, e.g. <code>left:knee_joint, spine_l4</code>)"),
            }
        )
    return out


def site_options() -> list[str]:
    """Every site answer the vocabulary accepts, for the form's suggestion list."""
    out: list[str] = []
    for spec in vocabulary().specs.values():
        out += [f"left:{spec.id}", f"right:{spec.id}"] if spec.sided else [spec.id]
    return out


def _number(raw: str, name: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(raw.replace(",", "."))
    except ValueError:
        raise ValidationFailed(f"{name}: '{raw[:20]}' is not a number") from None


def intake_from_form(form: dict[str, str]) -> Intake:
    """Form strings to the strict ``Intake`` model (numbers parsed, site lists split)."""
    data: dict[str, Any] = {}
    for f in fields():
        raw = form.get(f["name"], "").strip()
        if f["kind"] == "yesno" and raw in ("yes", "no", "unknown"):
            data[f["name"]] = raw
        elif f["name"] == "anticoagulant" and raw:
            data["anticoagulant"] = raw
        elif f["name"] in ("pregnancy_trimester", "age") and raw:
            data[f["name"]] = _number(raw, f["name"], int)
        elif f["name"] in ("inr", "bmi") and raw:
            data[f["name"]] = _number(raw, f["name"], float)
    for list_name in SITE_LISTS:
        data[list_name] = [x.strip() for x in form.get(list_name, "").split(",") if x.strip()]
    items = [x.strip() for x in form.get("corticosteroid_injections", "").split(",") if x.strip()]
    data["corticosteroid_injections"] = [parse_dated_site(x) for x in items]
    items = [x.strip() for x in form.get("muscle_injuries", "").split(",") if x.strip()]
    data["muscle_injuries"] = [parse_muscle_injury(x) for x in items]
    return Intake.from_data(data)


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@router.get("/patients/{patient_id}/screening", include_in_schema=False)
def screening_form(request: Request, patient_id: int) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        form = {"age": str(_age(patient.birth_date, date.today()))}
        return render(
            request,
            "screening.html",
            {
                "title": "Screening",
                "patient": patient,
                "fields": fields(),
                "form": form,
                "site_options": site_options(),
            },
        )

    return run_page(request, body)


@router.post("/patients/{patient_id}/screening", include_in_schema=False)
async def screening_submit(request: Request, patient_id: int) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        errors: list[str] = []
        result: ScreeningResult | None = None
        try:
            intake = intake_from_form(form)
            decided = evaluate(intake, on=date.today())
        except (ValidationError, ValidationFailed) as exc:
            errors.append("Some answers are not valid")
            if isinstance(exc, ValidationError):
                errors.extend(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            else:
                errors.append(exc.message)
        else:
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
            result = decided if saved is not None else None
        return render(
            request,
            "screening.html",
            {
                "title": "Screening",
                "patient": patient,
                "fields": fields(),
                "site_options": site_options(),
                "form": form,
                "result": result,
                "technique_names": TECHNIQUE_NAMES,
                "errors": errors,
            },
            status_code=200 if result is not None else 422,
        )

    return run_page(request, body)
