"""Safety screening: evaluate an intake (pure) or evaluate and freeze it on the chart.

The decision comes from ``filiform.core.safety.screen``; the stored snapshot is what
``POST /patients/{id}/sessions`` later checks every technique against.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from filiform.api.deps import PathId, StrictIn, actor, ok, tx
from filiform.core.safety.intake import Intake, Site
from filiform.core.safety.screening import screen
from filiform.services.records import clinical

router = APIRouter(tags=["screening"])


class ScreeningIn(StrictIn):
    intake: Intake
    sites: list[Site] = Field(default_factory=list, max_length=60)


@router.post("/screening/evaluate")
def evaluate(body: ScreeningIn, request: Request) -> dict[str, Any]:
    """The decision for an intake without storing anything (no patient data involved)."""
    actor(request)
    return ok(screen(body.intake, body.sites).model_dump(mode="json"))


@router.post("/patients/{patient_id}/screenings", status_code=201)
def record(patient_id: PathId, body: ScreeningIn, request: Request) -> dict[str, Any]:
    who = actor(request)
    result = screen(body.intake, body.sites)
    with tx(request) as s:
        row = clinical.record_screening(
            s,
            actor=who,
            patient_id=patient_id,
            answers=body.intake.model_dump(mode="json"),
            result=result,
            engine_version="filiform.core.safety",
        )
        return ok({"id": row.id, "patient_id": patient_id, "decision": result.model_dump(mode="json")})
