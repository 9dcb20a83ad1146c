"""Patients: registration, demographics reads, search; each read is audited."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import Conflict, ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import patient_of_clinic
from filiform.services.operations import audit
from filiform.storage.models import Patient

SEXES = ("female", "male", "other", "unknown")
DEMOGRAPHIC_FIELDS = ("mrn", "given_name", "family_name", "birth_date", "sex", "phone", "email")


def demographics(patient: Patient) -> dict[str, Any]:
    return {
        "id": patient.id,
        "version": patient.version,
        **{name: getattr(patient, name) for name in DEMOGRAPHIC_FIELDS},
    }


def register_patient(
    session: Session,
    *,
    actor: Actor,
    mrn: str,
    given_name: str,
    family_name: str,
    birth_date: date,
    sex: str,
    phone: str | None = None,
    email: str | None = None,
) -> Patient:
    require(actor, Perm.WRITE_DEMOGRAPHICS)
    problems = []
    if not mrn.strip():
        problems.append("mrn is empty")
    if not given_name.strip() or not family_name.strip():
        problems.append("given and family name are required")
    if sex not in SEXES:
        problems.append(f"sex must be one of {', '.join(SEXES)}")
    if birth_date > date.today():
        problems.append("birth date is in the future")
    if problems:
        raise ValidationFailed("invalid patient", details=problems)
    taken = session.scalar(
        sa.select(Patient.id).where(Patient.clinic_id == actor.clinic_id, Patient.mrn == mrn.strip())
    )
    if taken is not None:
        raise Conflict(f"MRN '{mrn}' is already used in this clinic")
    patient = Patient(
        clinic_id=actor.clinic_id,
        mrn=mrn.strip(),
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        birth_date=birth_date,
        sex=sex,
        phone=phone,
        email=email,
        created_by=actor.user_id,
    )
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
