"""Patients: registration, demographics reads, search; each read is audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.core.concepts import Demographics
from filiform.core.concepts.values import column_values
from filiform.errors import Conflict
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import patient_of_clinic
from filiform.services.operations import audit
from filiform.services.records.views import PatientView
from filiform.storage.models import Patient


def demographics(patient: Patient) -> PatientView:
    return PatientView.model_validate(patient)


def register_patient(session: Session, *, actor: Actor, details: Demographics | Mapping[str, Any]) -> Patient:
    """Register a patient of the actor's clinic; the MRN is unique within the clinic."""
    require(actor, Perm.WRITE_DEMOGRAPHICS)
    person = details if isinstance(details, Demographics) else Demographics.parse(details)
    taken = session.scalar(sa.select(Patient.id).where(Patient.clinic_id == actor.clinic_id, Patient.mrn == person.mrn))
    if taken is not None:
        raise Conflict(f"MRN '{person.mrn}' is already used in this clinic")
    patient = Patient(clinic_id=actor.clinic_id, created_by=actor.user_id, **column_values(person))
    session.add(patient)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="patient", entity_id=patient.id, patient_id=patient.id)
    return patient


def get_patient(session: Session, *, actor: Actor, patient_id: int) -> Patient:
    """Demographics of one patient of the actor's clinic (audited read)."""
    require(actor, Perm.READ_DEMOGRAPHICS)
    patient = patient_of_clinic(session, patient_id, actor=actor)
    audit.record(session, actor=actor, action="read", entity="patient", entity_id=patient_id, patient_id=patient_id)
    return patient


def search_patients(
    session: Session,
    *,
    actor: Actor,
    family_name_prefix: str = "",
    limit: int = 50,
) -> list[Patient]:
    """Patients of the actor's clinic by family-name prefix (indexed), audited as a search."""
    require(actor, Perm.READ_DEMOGRAPHICS)
    limit = max(1, min(limit, 200))
    stmt = sa.select(Patient).where(Patient.clinic_id == actor.clinic_id)
    if family_name_prefix:
        escaped = family_name_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Patient.family_name.like(f"{escaped}%", escape="\\"))
    rows = list(session.execute(stmt.order_by(Patient.family_name, Patient.id).limit(limit)).scalars())
    audit.record(
        session,
        actor=actor,
        action="search",
        entity="patient",
        detail={"prefix_len": len(family_name_prefix), "ids": [p.id for p in rows]},
    )
    return rows
