"""Safety screening: evaluate an intake (pure) or evaluate and freeze it on the chart.

The decision comes from ``filiform.core.safety.screening.evaluate`` (the one engine); the
stored snapshot is what ``POST /patients/{id}/sessions`` later checks every technique
against. Planned places are knowledge-base targets with a side and/or anatomical sites
(``left:knee_joint``); electrical circuits are pairs of sites.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import Field, ValidationError

from filiform.api.deps import IsoDate, PathId, StrictIn, actor, ok, tx
from filiform.core.kb.loader import load_kb
from filiform.core.safety.circuits import CircuitPath
from filiform.core.safety.decision import ScreeningResult
from filiform.core.safety.intake import Intake
from filiform.core.safety.screening import evaluate
from filiform.core.safety.sites import planned_sites
from filiform.errors import ValidationFailed
from filiform.services.records import clinical

router = APIRouter(tags=["screening"])


class TargetIn(StrictIn):
    target: str = Field(max_length=80)
    side: Literal["left", "right"] | None = None


class CircuitIn(StrictIn):
    label: str = Field(min_length=1, max_length=60)
    a: str = Field(max_length=80)
    b: str = Field(max_length=80)
    frequency_hz: float | None = None
    pulse_width_us: float | None = None
    minutes: float | None = None


class ScreeningIn(StrictIn):
    intake: dict[str, Any]
    targets: list[TargetIn] = Field(default_factory=list, max_length=60)
    sites: list[str] = Field(default_factory=list, max_length=60)
    circuits: list[CircuitIn] = Field(default_factory=list, max_length=30)
    on: IsoDate | None = None
    ultrasound: bool | None = None


def _decide(body: ScreeningIn) -> tuple[Intake, ScreeningResult]:
    """Parse the request into core types and ask the engine; bad input is a 422, never a 500."""
    try:
        intake = Intake.from_data(body.intake)
        circuits = [CircuitPath.model_validate(c.model_dump()) for c in body.circuits]
    except ValidationError as exc:
        raise ValidationFailed(
            "invalid screening input", details=[f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        ) from None
    sites = planned_sites(load_kb(), [(t.target, t.side) for t in body.targets], body.sites)
    result = evaluate(intake, sites, circuits, on=body.on or date.today(), ultrasound=body.ultrasound)
    return intake, result


@router.post("/screening/evaluate")
def evaluate_intake(body: ScreeningIn, request: Request) -> dict[str, Any]:
    """The decision for an intake without storing anything (no patient data involved)."""
    actor(request)
    return ok(_decide(body)[1].model_dump(mode="json"))


@router.post("/patients/{patient_id}/screenings", status_code=201)
def record(patient_id: PathId, body: ScreeningIn, request: Request) -> dict[str, Any]:
    who = actor(request)
    intake, result = _decide(body)
    with tx(request) as s:
        row = clinical.record_screening(
            s,
            actor=who,
            patient_id=patient_id,
            answers=intake.model_dump(mode="json"),
            result=result,
            engine_version="filiform.core.safety/2",
        )
        return ok({"id": row.id, "patient_id": patient_id, "decision": result.model_dump(mode="json")})
