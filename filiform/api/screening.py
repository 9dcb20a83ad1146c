"""Safety screening: evaluate an intake (pure) or evaluate and freeze it on the chart.

The decision comes from ``filiform.core.safety.screening.evaluate`` (the one engine); the
stored snapshot is what ``POST /patients/{id}/sessions`` later checks every technique
against. Planned places are knowledge-base targets with a side and/or anatomical sites
(``left:knee_joint``); electrical circuits are pairs of sites.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import ValidationError

from filiform.api.deps import CurrentActor, Envelope, PathId, UnitOfWork
from filiform.api.schemas.screening import ScreeningIn, ScreeningRecorded
from filiform.core.kb.loader import load_kb
from filiform.core.safety.circuits import CircuitPath
from filiform.core.safety.decision import ScreeningResult
from filiform.core.safety.intake import Intake
from filiform.core.safety.screening import evaluate
from filiform.core.safety.sites import planned_sites
from filiform.errors import ValidationFailed
from filiform.services.records import clinical
from filiform.services.records.clinic_time import clinic_today

router = APIRouter(tags=["screening"])


def _decide(body: ScreeningIn, today: date) -> tuple[Intake, ScreeningResult]:
    """Parse the request into core types and ask the engine; bad input is a 422, never a 500."""
    try:
        intake = Intake.from_data(body.intake)
        circuits = [CircuitPath.model_validate(c.model_dump()) for c in body.circuits]
    except ValidationError as exc:
        raise ValidationFailed(
            "invalid screening input", details=[f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        ) from None
    sites = planned_sites(load_kb(), [(t.target, t.side) for t in body.targets], body.sites)
    result = evaluate(intake, sites, circuits, on=body.on or today, ultrasound=body.ultrasound)
    return intake, result


@router.post("/screening/evaluate", response_model=Envelope[ScreeningResult])
def evaluate_intake(body: ScreeningIn, who: CurrentActor, s: UnitOfWork) -> Envelope[ScreeningResult]:
    """The decision for an intake without storing anything (no patient data involved);
    without ``on`` it is decided for today on the clinic's calendar."""
    return Envelope(data=_decide(body, clinic_today(s, who.clinic_id))[1])


@router.post("/patients/{patient_id}/screenings", status_code=201, response_model=Envelope[ScreeningRecorded])
def record(patient_id: PathId, body: ScreeningIn, who: CurrentActor, s: UnitOfWork) -> Envelope[ScreeningRecorded]:
    intake, result = _decide(body, clinic_today(s, who.clinic_id))
    row = clinical.record_screening(
        s,
        actor=who,
        patient_id=patient_id,
        answers=intake.model_dump(mode="json"),
        result=result,
        engine_version="filiform.core.safety/2",
    )
    return Envelope(data=ScreeningRecorded(id=row.id, patient_id=patient_id, decision=result))
