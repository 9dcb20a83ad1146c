"""Pain drawings on the body chart, and matching a drawing against referral patterns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from filiform.api.deps import CurrentActor, Envelope, PathId, UnitOfWork
from filiform.api.schemas.drawings import DrawingCreated, DrawingIn, MatchIn, MatchOut
from filiform.core.concepts import PainDrawing
from filiform.core.concepts.drawing import read_regions
from filiform.core.matching import match
from filiform.services.records import drawings

router = APIRouter(tags=["drawings"])


@router.post("/patients/{patient_id}/drawings", status_code=201, response_model=Envelope[DrawingCreated])
def record(patient_id: PathId, body: DrawingIn, who: CurrentActor, s: UnitOfWork) -> Envelope[DrawingCreated]:
    row = drawings.record_drawing(s, actor=who, patient_id=patient_id, details=body)
    return Envelope(
        data=DrawingCreated(id=row.id, patient_id=patient_id, drawn_on=row.drawn_on, regions=read_regions(row.regions))
    )


@router.post("/match", response_model=Envelope[MatchOut])
def rank(body: MatchIn, who: CurrentActor, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Envelope[MatchOut]:
    """Targets (muscles by all their trigger points, nerves) and single trigger points ranked
    against the drawing, with shared ranks and the reasons for each score."""
    drawing = PainDrawing(regions=body.regions, findings=body.findings, condition=body.condition)
    return Envelope(data=MatchOut.of(match(drawing, limit=limit)))
