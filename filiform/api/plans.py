"""Treatment plans and patient handouts from ``filiform.core.planning``.

``POST /patients/{id}/plans`` builds (and does not store) a plan for one patient: the
planning builder gets the condition, the side, the chosen or latest pain drawing, the
latest screening's intake answers (all unknown without one, so nothing unasked reads as
"no") and the patient's age and sex. Reading what the plan is built from is one audited
read (``planning_inputs``). ``GET /handouts/{condition}`` is planning's Markdown handout.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from filiform.api.deps import CurrentActor, Envelope, PathId, UnitOfWork
from filiform.api.schemas.knowledge import ConditionId, HandoutOut, PatientPlanOut, PlanIn
from filiform.core.concepts import Technique
from filiform.core.planning.handout import render_handout
from filiform.core.planning.loader import load_conditions
from filiform.errors import NotFound, ValidationFailed
from filiform.services.access.context import Perm, require
from filiform.services.records import patients, plans

router = APIRouter(tags=["plans"])


def _known_condition(condition: str) -> None:
    if condition not in load_conditions():
        raise ValidationFailed(f"unknown condition '{condition}'", details=sorted(load_conditions()))


@router.post("/patients/{patient_id}/plans", response_model=Envelope[PatientPlanOut])
def plan(patient_id: PathId, body: PlanIn, who: CurrentActor, s: UnitOfWork) -> Envelope[PatientPlanOut]:
    """The plan (targets, technique, needle, precautions, evidence, re-evaluation)."""
    _known_condition(body.condition)
    require(who, Perm.READ_CLINICAL)  # before the lookup, so ids of other clinics cannot be probed
    patient = patients.get_patient(s, actor=who, patient_id=patient_id)
    built = plans.plan_for_patient(
        s,
        who,
        patient,
        condition=body.condition,
        side=body.side.value if body.side else None,
        drawing_id=body.drawing_id,
        today=date.today(),
    )
    return Envelope(
        data=PatientPlanOut(
            **dict(built.plan),
            patient_id=patient_id,
            drawing_id=built.drawing.id if built.drawing else None,
            screened=built.screened,
        )
    )


@router.get("/handouts", response_model=Envelope[list[str]])
def handouts(who: CurrentActor) -> Envelope[list[str]]:
    """Condition ids that have a handout (every condition)."""
    return Envelope(data=sorted(load_conditions()))


@router.get("/handouts/{condition}", response_model=Envelope[HandoutOut])
def handout(
    condition: ConditionId,
    who: CurrentActor,
    technique: Annotated[list[Technique] | None, Query(max_length=10)] = None,
    near_chest: bool = False,
    anticoagulated: bool = False,
) -> Envelope[HandoutOut]:
    """The Markdown handout; ``technique`` (repeatable) narrows it to the planned techniques."""
    if condition not in load_conditions():
        raise NotFound(f"no handout for condition '{condition}'")
    techniques = list(dict.fromkeys(technique or []))
    markdown = render_handout(condition, techniques, near_chest=near_chest, anticoagulated=anticoagulated)
    return Envelope(data=HandoutOut(condition=condition, techniques=[t.value for t in techniques], markdown=markdown))
