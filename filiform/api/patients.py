"""Patients (register, read, search), the record timeline, the dashboard, amendments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from filiform.api.deps import CurrentActor, Envelope, PathId, UnitOfWork
from filiform.api.schemas.amendments import AmendmentCreated, AmendmentIn, AmendmentView, Entity
from filiform.api.schemas.patients import Dashboard, PatientIn, PatientView, Timeline
from filiform.services.records import amendments, patients, reads

router = APIRouter(tags=["patients"])


@router.get("/patients", response_model=Envelope[list[PatientView]])
def search(
    who: CurrentActor,
    s: UnitOfWork,
    q: Annotated[
        str, Query(max_length=120, description="MRN, given or family name (any part, accents ignored), or birth date")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Envelope[list[PatientView]]:
    rows = patients.search_patients(s, actor=who, query=q, limit=limit)
    return Envelope(data=[patients.demographics(p) for p in rows])


@router.post("/patients", status_code=201, response_model=Envelope[PatientView])
def register(body: PatientIn, who: CurrentActor, s: UnitOfWork) -> Envelope[PatientView]:
    return Envelope(data=patients.demographics(patients.register_patient(s, actor=who, details=body)))


@router.get("/patients/{patient_id}", response_model=Envelope[PatientView])
def read(patient_id: PathId, who: CurrentActor, s: UnitOfWork) -> Envelope[PatientView]:
    return Envelope(data=patients.demographics(patients.get_patient(s, actor=who, patient_id=patient_id)))


@router.get("/patients/{patient_id}/timeline", response_model=Envelope[Timeline])
def timeline(patient_id: PathId, who: CurrentActor, s: UnitOfWork) -> Envelope[Timeline]:
    return Envelope(data=reads.timeline(s, actor=who, patient_id=patient_id))


@router.get("/dashboard", response_model=Envelope[Dashboard])
def dashboard(who: CurrentActor, s: UnitOfWork) -> Envelope[Dashboard]:
    return Envelope(data=reads.dashboard(s, actor=who))


@router.post("/amendments", status_code=201, response_model=Envelope[AmendmentCreated])
def amend(body: AmendmentIn, who: CurrentActor, s: UnitOfWork) -> Envelope[AmendmentCreated]:
    """Change an amendable record; the old values are kept (21 CFR 11-style history)."""
    row = amendments.amend(
        s,
        actor=who,
        entity=body.entity,
        entity_id=body.entity_id,
        changes=body.changes,
        reason=body.reason,
        expected_version=body.expected_version,
    )
    return Envelope(data=AmendmentCreated(id=row.id, entity=body.entity, entity_id=body.entity_id))


@router.get("/amendments/{entity}/{entity_id}", response_model=Envelope[list[AmendmentView]])
def amendment_history(
    entity: Entity, entity_id: PathId, who: CurrentActor, s: UnitOfWork
) -> Envelope[list[AmendmentView]]:
    rows = amendments.history(s, actor=who, entity=entity, entity_id=entity_id)
    return Envelope(data=[AmendmentView.model_validate(r) for r in rows])
