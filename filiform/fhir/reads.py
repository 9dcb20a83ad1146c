"""FHIR read: one resource by type and id, as the export writes it (the fullUrls resolve).

Filiform's resource ids name their record (``Procedure/s12`` is session 12, ``Procedure/i7``
needle 7...); the record's patient is looked up and that patient's resources are built
exactly as an export builds them, so a read and an export never disagree. Every read is
an audited disclosure of that patient's record.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import NotFound
from filiform.fhir import exporter
from filiform.services.access.context import Actor
from filiform.services.operations import audit
from filiform.storage.models import Base

T = Base.metadata.tables
_ID = re.compile(r"^([a-z]*)([0-9]{1,18})$")
# (resource type, id prefix) -> the table whose row names the patient
OWNER: dict[tuple[str, str], str] = {
    ("Patient", ""): "patient",
    ("Consent", ""): "consent",
    ("QuestionnaireResponse", "scr"): "screening",
    ("QuestionnaireResponse", "o"): "outcome_response",
    ("Condition", ""): "episode",
    ("CarePlan", ""): "episode",
    ("Observation", "d"): "pain_drawing",
    ("Observation", "o"): "outcome_response",
    ("Observation", "pre"): "treatment_session",
    ("Observation", "post"): "treatment_session",
    ("Encounter", ""): "treatment_session",
    ("Procedure", "s"): "treatment_session",
    ("Procedure", "i"): "insertion",
    ("Procedure", "c"): "electrical_circuit",
    ("DocumentReference", "n"): "treatment_session",
    ("AdverseEvent", ""): "adverse_event",
    ("Provenance", "a"): "amendment",
}


def _patient_of(session: Session, clinic_id: int, table: str, number: int) -> int | None:
    t = T[table]
    if table in ("insertion", "electrical_circuit"):
        s = T["treatment_session"]
        stmt = sa.select(s.c.patient_id).select_from(t.join(s, t.c.session_id == s.c.id))
        stmt = stmt.where(t.c.id == number, s.c.clinic_id == clinic_id)
    else:
        column = t.c.id if table == "patient" else t.c.patient_id
        stmt = sa.select(column).where(t.c.id == number, t.c.clinic_id == clinic_id)
    found = session.execute(stmt).scalar_one_or_none()
    return int(found) if found is not None else None


def read(session: Session, *, actor: Actor, kind: str, rid: str, base_url: str) -> dict[str, Any]:
    """The resource ``kind/rid`` of the actor's clinic (NotFound for anything else)."""
    exporter.require_export(actor)
    if kind not in exporter.RESOURCE_TYPES or len(rid) > 64:
        raise NotFound(f"no {kind}/{rid[:64]}")
    conn = session.connection()
    if kind in exporter.CLINIC_TYPES:
        patient_id = None
        stream = exporter.resources(conn, actor.clinic_id, 0, base_url=base_url)  # clinic part only
    else:
        match = _ID.match(rid)
        table = OWNER.get((kind, match.group(1))) if match else None
        patient_id = _patient_of(session, actor.clinic_id, table, int(match.group(2))) if match and table else None
        if patient_id is None:
            raise NotFound(f"no {kind}/{rid}")
        stream = exporter.resources(conn, actor.clinic_id, patient_id, base_url=base_url)
    found = next((r for r in stream if r["resourceType"] == kind and r["id"] == rid), None)
    if found is None:
        raise NotFound(f"no {kind}/{rid}")
    audit.record(
        session,
        actor=actor,
        action="read",
        entity="fhir_resource",
        patient_id=patient_id,
        detail={"ref": f"{kind}/{rid}"},
    )
    return found
