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

from filiform.core.safety.decision import ScreeningResult
from filiform.core.safety.intake import QUESTIONS, SITE_LISTS, Intake
from filiform.core.safety.screening import screen
from filiform.services.access.context import Actor
from filiform.services.records import clinical, patients

from .common import attempt, render, run_page
from .labels import TECHNIQUE_NAMES

router = APIRouter()
ENGINE_VERSION = "web-1"
SELECTS: dict[str, tuple[str, ...]] = {
    "anticoagulant": ("unknown", "no", "vka", "doac", "heparin", "other"),
    "pregnancy_trimester": ("", "1", "2", "3"),
}
NUMBERS = {"inr": "0.1", "age": "1"}


def fields() -> list[dict[str, Any]]:
    """One entry per question, in the questionnaire's order, with its input kind."""
    out: list[dict[str, Any]] = []
    lists_by_parent = {parent: name for name, parent in SITE_LISTS.items()}
    for name, text in QUESTIONS.items():
        kind = "select" if name in SELECTS else "number" if name in NUMBERS else "yesno"
        out.append(
            {
                "name": name,
                "text": text,
                "kind": kind,
                "options": SELECTS.get(name, ()),
                "step": NUMBERS.get(name),
                "sites": lists_by_parent.get(name),
            }
        )
    return out


def intake_from_form(form: dict[str, str]) -> Intake:
    """Form strings to the strict ``Intake`` model (numbers parsed, site lists split)."""
    data: dict[str, Any] = {}
    for f in fields():
        raw = form.get(f["name"], "").strip()
        if f["kind"] == "yesno" and raw in ("yes", "no", "unknown"):
            data[f["name"]] = raw
        elif f["name"] == "anticoagulant" and raw:
            data["anticoagulant"] = raw
        elif f["name"] == "pregnancy_trimester" and raw:
            data["pregnancy_trimester"] = int(raw) if raw.isdigit() else raw
        elif f["name"] == "inr" and raw:
            data["inr"] = float(raw.replace(",", "."))
        elif f["name"] == "age" and raw:
            data["age"] = int(raw)
    for list_name in SITE_LISTS:
        raw = form.get(list_name, "")
        data[list_name] = tuple(x.strip().lower().replace(" ", "_") for x in raw.split(",") if x.strip())
    return Intake.model_validate(data)


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@router.get("/patients/{patient_id}/screening", include_in_schema=False)
def screening_form(request: Request, patient_id: int) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        form = {"age": str(_age(patient.birth_date, date.today()))}
        return render(
            request, "screening.html", {"title": "Screening", "patient": patient, "fields": fields(), "form": form}
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
        except (ValidationError, ValueError) as exc:
            errors.append("Some answers are not valid")
            if isinstance(exc, ValidationError):
                errors.extend(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        else:
            decided = screen(intake)
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
                "form": form,
                "result": result,
                "technique_names": TECHNIQUE_NAMES,
                "errors": errors,
            },
            status_code=200 if result is not None else 422,
        )

    return run_page(request, body)
