"""Informed consent: recorded per patient; sessions are refused without a valid one."""

from __future__ import annotations

from fastapi import APIRouter

from filiform.api.deps import CurrentActor, Envelope, PathId, UnitOfWork
from filiform.api.schemas.care import ConsentCreated, ConsentIn
from filiform.services.records import clinical

router = APIRouter(tags=["consent"])


@router.post("/patients/{patient_id}/consents", status_code=201, response_model=Envelope[ConsentCreated])
def record(patient_id: PathId, body: ConsentIn, who: CurrentActor, s: UnitOfWork) -> Envelope[ConsentCreated]:
    row = clinical.record_consent(s, actor=who, patient_id=patient_id, details=body)
    return Envelope(
        data=ConsentCreated(
            id=row.id, patient_id=patient_id, form_version=row.form_version, consented_on=row.consented_on
        )
    )
