"""Patients: registration, demographics reads, search; each read is audited."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.core.concepts import Demographics
from filiform.core.concepts.patient import search_fold
from filiform.core.concepts.values import column_values
from filiform.errors import Conflict
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import patient_of_clinic
from filiform.services.operations import audit
from filiform.services.records import mrn
from filiform.services.records.clinic_time import check_day
from filiform.services.records.views import PatientView
from filiform.storage.models import Patient


def demographics(patient: Patient) -> PatientView:
    return PatientView.model_validate(patient)


def register_patient(
    session: Session, *, actor: Actor, details: Demographics | Mapping[str, Any], lax: bool = False
) -> Patient:
    """Register a patient of the actor's clinic; the MRN is unique within the clinic.

    ``details`` without an MRN (a form whose MRN field was left empty) gets the clinic's
    next number (:func:`filiform.services.records.mrn.next_mrn`); ``lax`` is for faces that
    only have text (web forms).
    """
    require(actor, Perm.WRITE_DEMOGRAPHICS)
    if isinstance(details, Demographics):
        person = details
    else:
        given = dict(details)
        if not str(given.get("mrn") or "").strip():
            Demographics.parse({**given, "mrn": "pending"}, lax=lax)  # refuse bad input before using a number
            given["mrn"] = mrn.next_mrn(session, actor.clinic_id)
        person = Demographics.parse(given, lax=lax)
    check_day(session, actor.clinic_id, person.birth_date, "birth date", "demographics")
    taken = session.scalar(sa.select(Patient.id).where(Patient.clinic_id == actor.clinic_id, Patient.mrn == person.mrn))
    if taken is not None:
        raise Conflict(f"MRN '{person.mrn}' is already used in this clinic: leave the field empty for a new number")
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


def _birth_date(query: str) -> date | None:
    """A birth date as typed in the search box: 1980-01-02 or 02.01.1980 (never the ambiguous 01/02)."""
    text = query.strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def search_patients(session: Session, *, actor: Actor, query: str = "", limit: int = 50) -> list[Patient]:
    """Patients of the actor's clinic matching ``query``, audited as a search.

    A birth date (``1980-01-02`` or ``02.01.1980``) finds that birthday. Otherwise every
    word must appear somewhere in the MRN, the given or the family name, ignoring case and
    accents ("nunez" finds Núñez, "ann lov" finds Ann Lovelace). Why in Python: the same
    folding (:func:`search_fold`) on SQLite and PostgreSQL, without an extension, and for
    rows written by every path (registration, amendment, import); only the names and MRNs
    of the clinic are read for it.
    """
    require(actor, Perm.READ_DEMOGRAPHICS)
    limit = max(1, min(limit, 200))
    query = (query or "")[:120]
    order = (Patient.family_name, Patient.given_name, Patient.id)
    base = sa.select(Patient).where(Patient.clinic_id == actor.clinic_id)
    born = _birth_date(query)
    words = search_fold(query).split()
    if born is not None:
        rows = list(session.execute(base.where(Patient.birth_date == born).order_by(*order).limit(limit)).scalars())
    elif not words:
        rows = list(session.execute(base.order_by(*order).limit(limit)).scalars())
    else:
        names = sa.select(Patient.id, Patient.mrn, Patient.given_name, Patient.family_name).where(
            Patient.clinic_id == actor.clinic_id
        )
        ids: list[int] = []
        for pid, number, given, family in session.execute(names.order_by(*order)):
            text = f"{search_fold(number)} {search_fold(given)} {search_fold(family)}"
            if all(w in text for w in words):
                ids.append(pid)
                if len(ids) >= limit:
                    break
        found = {p.id: p for p in session.execute(base.where(Patient.id.in_(ids))).scalars()} if ids else {}
        rows = [found[i] for i in ids if i in found]
    audit.record(
        session,
        actor=actor,
        action="search",
        entity="patient",
        detail={"query_len": len(query), "ids": [p.id for p in rows]},
    )
    return rows
