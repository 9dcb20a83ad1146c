"""Appointments: book, move, cancel, mark a no-show, link the session recorded at one.

Times come in and go out as UTC instants; the faces convert with the clinic's zone
(:mod:`filiform.services.records.clinic_settings`).  A clinician cannot be booked twice
at once (the stricter reading: an overlap is refused, never silently double-booked).
Every change is audited with the patient's id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from filiform.core.concepts.clock import utc
from filiform.errors import Conflict, ValidationFailed
from filiform.services.access.context import Actor, Perm, Role, require
from filiform.services.access.scope import owned, patient_of_clinic
from filiform.services.operations import audit
from filiform.storage.models import Appointment, Patient, TreatmentSession, User

CHANGEABLE = ("booked",)
STATUS_CHANGES = ("cancelled", "no_show")


@dataclass(frozen=True)
class AppointmentRow:
    """One appointment as the day and week lists show it."""

    id: int
    patient_id: int
    patient_name: str
    mrn: str
    clinician_id: int
    clinician_name: str
    starts_at: datetime
    minutes: int
    status: str
    session_id: int | None
    version: int

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValidationFailed("appointment time must be a UTC instant (convert from the clinic's zone first)")
    return moment.astimezone(UTC)


def clinicians(session: Session, *, actor: Actor) -> list[User]:
    """Active clinicians of the actor's clinic, by name."""
    require(actor, Perm.READ_DEMOGRAPHICS)
    stmt = sa.select(User).where(
        User.clinic_id == actor.clinic_id, User.role == Role.CLINICIAN.value, User.active.is_(True)
    )
    return list(session.execute(stmt.order_by(User.display_name, User.id)).scalars())


def _check_slot(
    session: Session, actor: Actor, clinician_id: int, start: datetime, minutes: int, ignore: int | None
) -> None:
    clinician = owned(session, User, clinician_id, actor=actor)
    problems = []
    if clinician.role != Role.CLINICIAN.value or not clinician.active:
        problems.append("book with an active clinician of this clinic")
    if not 5 <= minutes <= 480:
        problems.append("length: 5 to 480 minutes")
    if problems:
        raise ValidationFailed("invalid appointment", details=problems)
    end = start + timedelta(minutes=minutes)
    stmt = sa.select(Appointment).where(
        Appointment.clinic_id == actor.clinic_id,
        Appointment.clinician_id == clinician_id,
        Appointment.status == "booked",
        Appointment.starts_at < end,
        Appointment.starts_at > start - timedelta(minutes=480),
    )
    for other in session.execute(stmt).scalars():
        if other.id != ignore and utc(other.starts_at) + timedelta(minutes=other.minutes) > start:
            raise Conflict("the clinician already has an appointment at that time", details=[f"appointment {other.id}"])


def book(
    session: Session, *, actor: Actor, patient_id: int, clinician_id: int, starts_at: datetime, minutes: int
) -> Appointment:
    """A new appointment (front desk and clinicians)."""
    require(actor, Perm.WRITE_DEMOGRAPHICS)
    patient_of_clinic(session, patient_id, actor=actor)
    start = _aware(starts_at)
    _check_slot(session, actor, clinician_id, start, minutes, None)
    row = Appointment(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        clinician_id=clinician_id,
        starts_at=start,
        minutes=minutes,
        status="booked",
        created_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, row, "create", {"status": "booked"})
    return row


def _changeable(session: Session, actor: Actor, appointment_id: int, version: int | None) -> Appointment:
    require(actor, Perm.WRITE_DEMOGRAPHICS)
    row = owned(session, Appointment, appointment_id, actor=actor)
    if row.status not in CHANGEABLE:
        raise Conflict(f"appointment {appointment_id} is {row.status.replace('_', ' ')} and can no longer change")
    if version is not None and version != row.version:
        raise Conflict(f"appointment {appointment_id} was changed by someone else: reload and try again")
    return row


def move(
    session: Session,
    *,
    actor: Actor,
    appointment_id: int,
    starts_at: datetime,
    minutes: int | None = None,
    clinician_id: int | None = None,
    version: int | None = None,
) -> Appointment:
    row = _changeable(session, actor, appointment_id, version)
    start, length = _aware(starts_at), minutes or row.minutes
    who = clinician_id or row.clinician_id
    _check_slot(session, actor, who, start, length, row.id)
    before = utc(row.starts_at).isoformat()
    row.starts_at, row.minutes, row.clinician_id = start, length, who
    row.reminded_at = None  # a moved appointment gets its own reminder
    row.version += 1
    session.flush()
    _audit(session, actor, row, "update", {"moved_from": before, "to": start.isoformat()})
    return row


def set_status(
    session: Session, *, actor: Actor, appointment_id: int, status: str, version: int | None = None
) -> Appointment:
    """Cancel, or mark a no-show (a booked appointment only)."""
    if status not in STATUS_CHANGES:
        raise ValidationFailed(f"status must be one of {', '.join(STATUS_CHANGES)}")
    row = _changeable(session, actor, appointment_id, version)
    row.status = status
    row.version += 1
    session.flush()
    _audit(session, actor, row, "update", {"status": status})
    return row


def link_session(session: Session, *, actor: Actor, appointment_id: int, session_id: int) -> Appointment:
    """Tie the session recorded at this appointment to it (the appointment becomes attended)."""
    require(actor, Perm.READ_CLINICAL)
    row = owned(session, Appointment, appointment_id, actor=actor)
    treatment = owned(session, TreatmentSession, session_id, actor=actor)
    problems = []
    if treatment.patient_id != row.patient_id:
        problems.append(f"session {session_id} belongs to another patient")
    if row.status not in ("booked", "attended") or (row.session_id not in (None, session_id)):
        problems.append(f"appointment {appointment_id} is {row.status.replace('_', ' ')}")
    taken = session.scalar(
        sa.select(Appointment.id).where(Appointment.session_id == session_id, Appointment.id != appointment_id)
    )
    if taken is not None:
        problems.append(f"session {session_id} is already linked to appointment {taken}")
    if problems:
        raise ValidationFailed("cannot link the session", details=problems)
    row.session_id, row.status = session_id, "attended"
    row.version += 1
    session.flush()
    _audit(session, actor, row, "update", {"status": "attended", "session_id": session_id})
    return row


def sessions_to_link(session: Session, *, actor: Actor, appointment: Appointment) -> list[TreatmentSession]:
    """The patient's sessions within a day of the appointment that no appointment holds yet."""
    require(actor, Perm.READ_CLINICAL)
    start = utc(appointment.starts_at)
    held = sa.select(Appointment.session_id).where(Appointment.session_id.is_not(None))
    stmt = sa.select(TreatmentSession).where(
        TreatmentSession.patient_id == appointment.patient_id,
        TreatmentSession.clinic_id == actor.clinic_id,
        TreatmentSession.started_at >= start - timedelta(hours=12),
        TreatmentSession.started_at < start + timedelta(hours=12),
        TreatmentSession.id.not_in(held),
    )
    return list(session.execute(stmt.order_by(TreatmentSession.started_at)).scalars())


def in_range(
    session: Session, *, actor: Actor, start: datetime, end: datetime, clinician_id: int | None = None
) -> list[AppointmentRow]:
    """Appointments starting in [start, end) (one clinician or all), by time; one audited read."""
    require(actor, Perm.READ_DEMOGRAPHICS)
    clinician = aliased(User)
    stmt = (
        sa.select(Appointment, Patient.given_name, Patient.family_name, Patient.mrn, clinician.display_name)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(clinician, clinician.id == Appointment.clinician_id)
        .where(
            Appointment.clinic_id == actor.clinic_id,
            Appointment.starts_at >= _aware(start),
            Appointment.starts_at < _aware(end),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if clinician_id is not None:
        stmt = stmt.where(Appointment.clinician_id == clinician_id)
    rows = [
        AppointmentRow(
            id=a.id,
            patient_id=a.patient_id,
            patient_name=f"{family}, {given}",
            mrn=mrn,
            clinician_id=a.clinician_id,
            clinician_name=name,
            starts_at=utc(a.starts_at),
            minutes=a.minutes,
            status=a.status,
            session_id=a.session_id,
            version=a.version,
        )
        for a, given, family, mrn, name in session.execute(stmt).all()
    ]
    audit.record(
        session,
        actor=actor,
        action="read",
        entity="appointments",
        detail={"from": _aware(start).isoformat(), "to": _aware(end).isoformat(), "ids": [r.id for r in rows]},
    )
    return rows


def _audit(session: Session, actor: Actor, row: Appointment, action: str, detail: dict[str, object]) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="appointment",
        entity_id=row.id,
        patient_id=row.patient_id,
        detail=detail,
    )
