"""Informed consent: recorded per patient; sessions are refused without a valid one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import Field

from filiform.api.deps import IsoDate, PathId, StrictIn, Text, actor, ok, tx
from filiform.services.records import clinical

router = APIRouter(tags=["consent"])


class ConsentIn(StrictIn):
    form_version: Annotated[str, Field(min_length=1, max_length=40)]
    consented_on: IsoDate
    notes: Text | None = None


@router.post("/patients/{patient_id}/consents", status_code=201)
def record(patient_id: PathId, body: ConsentIn, request: Request) -> dict[str, Any]:
    who = actor(request)
    with tx(request) as s:
        row = clinical.record_consent(s, actor=who, patient_id=patient_id, **body.model_dump())
        return ok(
            {"id": row.id, "patient_id": patient_id, "form_version": row.form_version, "consented_on": row.consented_on}
        )
