"""Patients (register, read, search), the chart timeline, the dashboard, amendments."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field

from filiform.api.deps import IsoDate, PathId, RecordId, StrictIn, actor, ok, tx
from filiform.services.records import amendments, patients, reads

router = APIRouter(tags=["patients"])

Entity = Literal[
    "patient", "consent", "episode", "pain_drawing", "treatment_session", "adverse_event", "outcome_response"
]


class PatientIn(StrictIn):
    mrn: Annotated[str, Field(min_length=1, max_length=40)]
    given_name: Annotated[str, Field(min_length=1, max_length=120)]
    family_name: Annotated[str, Field(min_length=1, max_length=120)]
    birth_date: IsoDate
    sex: Literal["female", "male", "other", "unknown"]
    phone: Annotated[str, Field(max_length=40)] | None = None
    email: Annotated[str, Field(max_length=200)] | None = None


class AmendmentIn(StrictIn):
    entity: Entity
    entity_id: RecordId
    changes: dict[str, Any]
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    expected_version: Annotated[int, Field(ge=1, le=1_000_000)]


@router.get("/patients")
def search(
    request: Request,
    q: Annotated[str, Query(max_length=120, description="family-name prefix")] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    who = actor(request)
    with tx(request) as s:
        rows = patients.search_patients(s, actor=who, family_name_prefix=q, limit=limit)
        return ok([patients.demographics(p) for p in rows])


@router.post("/patients", status_code=201)
def register(body: PatientIn, request: Request) -> dict[str, Any]:
    who = actor(request)
    with tx(request) as s:
        row = patients.register_patient(s, actor=who, **body.model_dump())
        return ok(patients.demographics(row))


@router.get("/patients/{patient_id}")
def read(patient_id: PathId, request: Request) -> dict[str, Any]:
    who = actor(request)
    with tx(request) as s:
        return ok(patients.demographics(patients.get_patient(s, actor=who, patient_id=patient_id)))


@router.get("/patients/{patient_id}/timeline")
def timeline(patient_id: PathId, request: Request) -> dict[str, Any]:
    who = actor(request)
    with tx(request) as s:
        return ok(reads.timeline(s, actor=who, patient_id=patient_id))


@router.get("/dashboard")
def dashboard(request: Request) -> dict[str, Any]:
    who = actor(request)
    with tx(request) as s:
        return ok(reads.dashboard(s, actor=who))


@router.post("/amendments", status_code=201)
def amend(body: AmendmentIn, request: Request) -> dict[str, Any]:
    """Change an amendable record; the old values are kept (21 CFR 11-style history)."""
    who = actor(request)
    with tx(request) as s:
        row = amendments.amend(
            s,
            actor=who,
            entity=body.entity,
            entity_id=body.entity_id,
            changes=body.changes,
            reason=body.reason,
            expected_version=body.expected_version,
        )
        return ok({"id": row.id, "entity": body.entity, "entity_id": body.entity_id})


@router.get("/amendments/{entity}/{entity_id}")
def amendment_history(entity: Entity, entity_id: PathId, request: Request) -> dict[str, Any]:
    who = actor(request)
    with tx(request) as s:
        rows = amendments.history(s, actor=who, entity=entity, entity_id=entity_id)
        return ok(
            [
                {
                    "id": r.id,
                    "from_version": r.from_version,
                    "changes": r.changes,
                    "reason": r.reason,
                    "amended_by": r.amended_by,
                    "amended_at": r.amended_at,
                }
                for r in rows
            ]
        )
