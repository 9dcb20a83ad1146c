"""Adverse events, classified by the taxonomy in ``filiform.storage.vocab``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import Field

from filiform.api.deps import IsoDate, PathId, RecordId, StrictIn, Text, actor, ok, tx
from filiform.services.records import sessions

router = APIRouter(tags=["adverse events"])

Word = Annotated[str, Field(min_length=1, max_length=40)]


class AdverseEventIn(StrictIn):
    occurred_on: IsoDate
    event_type: Word
    severity: Word
    onset: Word
    action_taken: Word
    causality: Word
    session_id: RecordId | None = None
    significant: bool = False
    duration: Annotated[str, Field(max_length=120)] | None = None
    description: Text | None = None


@router.post("/patients/{patient_id}/adverse-events", status_code=201)
def report(patient_id: PathId, body: AdverseEventIn, request: Request) -> dict[str, Any]:
    who = actor(request)
    with tx(request) as s:
        row = sessions.report_adverse_event(s, actor=who, patient_id=patient_id, **body.model_dump())
        return ok({"id": row.id, "patient_id": patient_id, "severity": row.severity, "significant": row.significant})
