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
from pydantic import Field

from filiform.api.deps import PathId, RecordId, StrictIn, actor, ok, tx
from filiform.core.concepts import Technique
from filiform.core.planning.handout import render_handout
from filiform.core.planning.loader import load_conditions
from filiform.errors import NotFound, ValidationFailed
from filiform.services.access.context import Perm, require
from filiform.services.records import patients, plans

router = APIRouter(tags=["plans"])

ConditionId = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_]*$")]


class PlanIn(StrictIn):
    condition: ConditionId
    side: Literal["left", "right"] | None = None
    drawing_id: RecordId | None = None


def _known_condition(condition: str) -> None:
    if condition not in load_conditions():
        raise ValidationFailed(f"unknown condition '{condition}'", details=sorted(load_conditions()))


@router.post("/patients/{patient_id}/plans")
def plan(patient_id: PathId, body: PlanIn, request: Request) -> dict[str, Any]:
    """The plan JSON (targets, technique, needle, precautions, evidence, re-evaluation)."""
    who = actor(request)
    _known_condition(body.condition)
    today = date.today()
    require(who, Perm.READ_CLINICAL)  # before the lookup, so ids of other clinics cannot be probed
    with tx(request) as s:
        patient = patients.get_patient(s, actor=who, patient_id=patient_id)
        built = plans.plan_for_patient(
            s, who, patient, condition=body.condition, side=body.side, drawing_id=body.drawing_id, today=today
        )
        drawing = built.drawing
        return ok(
            {
                "patient_id": patient_id,
                "drawing_id": drawing["id"] if drawing else None,
                "screened": built.screened,
                **built.plan.model_dump(mode="json"),
            }
        )


@router.get("/handouts")
def handouts(request: Request) -> dict[str, Any]:
    """Condition ids that have a handout (every condition)."""
    actor(request)
    return ok(sorted(load_conditions()))


@router.get("/handouts/{condition}")
def handout(
    condition: ConditionId,
    request: Request,
    technique: Annotated[list[Technique] | None, Query(max_length=10)] = None,
    near_chest: bool = False,
    anticoagulated: bool = False,
) -> dict[str, Any]:
    """The Markdown handout; ``technique`` (repeatable) narrows it to the planned techniques."""
    actor(request)
    if condition not in load_conditions():
        raise NotFound(f"no handout for condition '{condition}'")
    techniques = list(dict.fromkeys(technique or []))
    markdown = render_handout(condition, techniques, near_chest=near_chest, anticoagulated=anticoagulated)
    return ok({"condition": condition, "techniques": [t.value for t in techniques], "markdown": markdown})
