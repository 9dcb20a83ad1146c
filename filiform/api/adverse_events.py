"""Adverse events, classified by the taxonomy in ``filiform.core.concepts.adverse_event``."""

from __future__ import annotations

from fastapi import APIRouter

from filiform.api.deps import CurrentActor, Envelope, PathId, UnitOfWork
from filiform.api.schemas.sessions import AdverseEventCreated, AdverseEventIn
from filiform.services.records import sessions

router = APIRouter(tags=["adverse events"])


@router.post("/patients/{patient_id}/adverse-events", status_code=201, response_model=Envelope[AdverseEventCreated])
def report(patient_id: PathId, body: AdverseEventIn, who: CurrentActor, s: UnitOfWork) -> Envelope[AdverseEventCreated]:
    row = sessions.report_adverse_event(s, actor=who, patient_id=patient_id, details=body)
    return Envelope(
        data=AdverseEventCreated(id=row.id, patient_id=patient_id, severity=row.severity, significant=row.significant)
    )
