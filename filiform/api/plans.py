"""Treatment plans and patient handouts from ``filiform.core.planning``.

``POST /patients/{id}/plans`` builds (and does not store) a plan for one patient: the
planning builder gets the condition, the side, the chosen or latest pain drawing, the
latest screening's intake answers (all unknown without one, so nothing unasked reads as
"no") and the patient's age and sex. Reading the record is audited by the timeline read.
``GET /handouts/{condition}`` is planning's Markdown handout for a condition.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field, ValidationError

from filiform.api.deps import PathId, RecordId, StrictIn, actor, ok, tx
from filiform.core.matching import DrawnRegion, PainDrawing
from filiform.core.planning.handout import render_handout
from filiform.core.planning.loader import load_conditions
from filiform.core.planning.plan import PlanRequest, build_plan
from filiform.core.safety.decision import Technique
from filiform.core.safety.intake import Intake, PatientBody
from filiform.errors import NotFound, ValidationFailed
from filiform.services import charts, patients
from filiform.storage.models import Screening

router = APIRouter(tags=["plans"])

ConditionId = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_]*$")]


class PlanIn(StrictIn):
    condition: ConditionId
    side: Literal["left", "right"] | None = None
    drawing_id: RecordId | None = None


def _known_condition(condition: str) -> None:
    if condition not in load_conditions():
        raise ValidationFailed(f"unknown condition '{condition}'", details=sorted(load_conditions()))


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _drawing(timeline: dict[str, Any], drawing_id: int | None) -> dict[str, Any] | None:
    drawings: list[dict[str, Any]] = timeline["drawings"]
    if drawing_id is None:
        return drawings[0] if drawings else None
    found: dict[str, Any] | None = next((d for d in drawings if d["id"] == drawing_id), None)
    if found is None:
        raise ValidationFailed(f"drawing {drawing_id} is not one of this patient's drawings")
    return found


def _intake(answers: dict[str, Any] | None) -> tuple[Intake, bool]:
    """Stored answers as an intake; early API rows wrapped them as ``{"intake": ..., "sites": ...}``."""
    if answers is None:
        return Intake(), False
    if isinstance(answers.get("intake"), dict):
        answers = answers["intake"]
    try:
        return Intake.from_data(answers), True
    except ValidationError:
        return Intake(), False  # an older questionnaire: plan as if unanswered


@router.post("/patients/{patient_id}/plans")
def plan(patient_id: PathId, body: PlanIn, request: Request) -> dict[str, Any]:
    """The plan JSON (targets, technique, needle, precautions, evidence, re-evaluation)."""
    who = actor(request)
    _known_condition(body.condition)
    today = date.today()
    with tx(request) as s:
        tl = charts.timeline(s, actor=who, patient_id=patient_id)  # permission first, then the record
        patient = patients.get_patient(s, actor=who, patient_id=patient_id)
        row = s.get(Screening, tl["screenings"][0]["id"]) if tl["screenings"] else None
        intake, screened = _intake(row.answers if row is not None else None)
        drawing = _drawing(tl, body.drawing_id)
        pain = None
        if drawing is not None:
            pain = PainDrawing(regions=tuple(DrawnRegion(region=r["region"], intensity=int(r["intensity"]))
                                             for r in drawing["regions"] if int(r["intensity"]) > 0))
        sex = patient.sex if patient.sex in ("female", "male") else None
        built = build_plan(PlanRequest(
            condition=body.condition, side=body.side, drawing=pain, intake=intake, today=today,
            body=PatientBody(sex=sex, age=min(120, max(0, _age(patient.birth_date, today))))))
        return ok({"patient_id": patient_id, "drawing_id": drawing["id"] if drawing else None,
                   "screened": screened, **built.model_dump(mode="json")})


@router.get("/handouts")
def handouts(request: Request) -> dict[str, Any]:
    """Condition ids that have a handout (every condition)."""
    actor(request)
    return ok(sorted(load_conditions()))


@router.get("/handouts/{condition}")
def handout(condition: ConditionId, request: Request,
            technique: Annotated[list[Technique] | None, Query(max_length=10)] = None,
            near_chest: bool = False, anticoagulated: bool = False) -> dict[str, Any]:
    """The Markdown handout; ``technique`` (repeatable) narrows it to the planned techniques."""
    actor(request)
    if condition not in load_conditions():
        raise NotFound(f"no handout for condition '{condition}'")
    techniques = list(dict.fromkeys(technique or []))
    markdown = render_handout(condition, techniques, near_chest=near_chest, anticoagulated=anticoagulated)
    return ok({"condition": condition, "techniques": [t.value for t in techniques], "markdown": markdown})
