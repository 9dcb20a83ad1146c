"""Pain drawings on the chart, and matching a drawing against referral patterns."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from pydantic import Field

from filiform.api.deps import IsoDate, PathId, RecordId, StrictIn, actor, ok, tx
from filiform.core.atlas.build import load_atlas
from filiform.core.matching import DrawnRegion, Finding, PainDrawing, match
from filiform.errors import ValidationFailed
from filiform.services.records import clinical

router = APIRouter(tags=["drawings"])


class DrawingIn(StrictIn):
    drawn_on: IsoDate
    regions: list[DrawnRegion] = Field(min_length=1, max_length=400)
    episode_id: RecordId | None = None


class MatchIn(StrictIn):
    regions: list[DrawnRegion] = Field(min_length=1, max_length=400)
    findings: list[Finding] = Field(default_factory=list, max_length=100)
    condition: Annotated[str, Field(max_length=80)] | None = None


def _check_regions(regions: list[DrawnRegion]) -> None:
    known = load_atlas().regions
    unknown = sorted({r.region for r in regions if r.region not in known})
    if unknown:
        raise ValidationFailed("unknown atlas regions", details=unknown[:20])


@router.post("/patients/{patient_id}/drawings", status_code=201)
def record(patient_id: PathId, body: DrawingIn, request: Request) -> dict[str, Any]:
    who = actor(request)
    _check_regions(body.regions)
    with tx(request) as s:
        row = clinical.record_drawing(
            s,
            actor=who,
            patient_id=patient_id,
            drawn_on=body.drawn_on,
            regions=[
                r.model_dump(exclude_defaults=True) | {"region": r.region, "intensity": r.intensity}
                for r in body.regions
            ],
            episode_id=body.episode_id,
        )
        return ok({"id": row.id, "patient_id": patient_id, "drawn_on": row.drawn_on, "regions": row.regions})


@router.post("/match")
def rank(body: MatchIn, request: Request, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, Any]:
    """Targets (muscles by all their trigger points, nerves) and single trigger points ranked
    against the drawing, with shared ranks and the reasons for each score."""
    actor(request)
    _check_regions(body.regions)
    drawing = PainDrawing(regions=tuple(body.regions), findings=tuple(body.findings), condition=body.condition)
    result = match(drawing, limit=limit)
    return ok(
        jsonable_encoder(
            {
                "muscles": result.muscles,
                "ranked": result.ranked,
                "cover": result.cover,
                "unexplained_by_any": result.unexplained_by_any,
                "notes": result.notes,
                "nothing_explains": result.nothing_explains,
            }
        )
    )
