"""Episodes of care and needling sessions with their insertions.

A session is refused (409 ``safety_block``) without a valid consent and a screening that
allows every technique, unless an override with a written justification is given.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import Field

from filiform.api.deps import IsoDate, IsoDateTime, PathId, RecordId, StrictIn, Text, actor, ok, tx
from filiform.services.records import clinical, sessions

router = APIRouter(tags=["sessions"])

Measure = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]


class InsertionIn(StrictIn):
    target_id: Annotated[str, Field(min_length=1, max_length=80)]
    side: Annotated[str, Field(max_length=20)]
    technique: Annotated[str, Field(max_length=40)]
    needle_length_mm: Measure
    needle_gauge_mm: Measure
    depth_mm: Measure
    twitch_responses: Annotated[int, Field(ge=0, le=1000)] = 0
    retention_s: Annotated[int, Field(ge=0, le=86_400)] = 0
    electrical: dict[str, Measure] | None = None


class SessionIn(StrictIn):
    started_at: IsoDateTime
    insertions: list[InsertionIn] = Field(min_length=1, max_length=100)
    pain_pre: Annotated[int, Field(ge=0, le=10)] | None = None
    pain_post: Annotated[int, Field(ge=0, le=10)] | None = None
    patient_response: Text | None = None
    notes: Text | None = None
    episode_id: RecordId | None = None
    screening_id: RecordId | None = None
    override_justification: Text | None = None
    clinician_id: RecordId | None = None


class EpisodeIn(StrictIn):
    condition: Annotated[str, Field(min_length=1, max_length=200)]
    icd10_codes: list[Annotated[str, Field(max_length=10)]] = Field(default_factory=list, max_length=20)
    opened_on: IsoDate
    plan: Text | None = None


@router.post("/patients/{patient_id}/episodes", status_code=201)
def open_episode(patient_id: PathId, body: EpisodeIn, request: Request) -> dict[str, Any]:
    who = actor(request)
    with tx(request) as s:
        row = clinical.open_episode(s, actor=who, patient_id=patient_id, **body.model_dump())
        return ok({"id": row.id, "patient_id": patient_id, "condition": row.condition})


@router.post("/patients/{patient_id}/sessions", status_code=201)
def record(patient_id: PathId, body: SessionIn, request: Request) -> dict[str, Any]:
    who = actor(request)
    data = body.model_dump()
    insertions = [sessions.InsertionIn(**i) for i in data.pop("insertions")]
    with tx(request) as s:
        row = sessions.record_session(s, actor=who, patient_id=patient_id, insertions=insertions, **data)
        return ok(
            {
                "id": row.id,
                "patient_id": patient_id,
                "started_at": row.started_at,
                "insertions": len(insertions),
                "screening_id": row.screening_id,
                "consent_id": row.consent_id,
                "override": row.override_justification is not None,
            }
        )
