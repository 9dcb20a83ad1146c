"""A delayed reaction the patient reports through the aftercare link, and the clinic's list.

The report is stored at once (with its level from :mod:`filiform.core.portal.aftercare`)
and appears on the clinic's inbox, urgent ones first.  It is the patient's words, not an
adverse-event record: a clinician reviews it and records the adverse event with the
clinic's classification (severity, causality, action), which links the two.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.core.portal.aftercare import BY_ID, Level, level_of
from filiform.errors import Conflict, PermissionDenied, ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import owned
from filiform.services.operations import audit
from filiform.services.portal.links import audit_patient
from filiform.storage.models import AdverseEvent, Patient, PatientReport, PortalLink

MAX_PER_LINK = 10
TEXT_LIMIT = 2000


def submit_report(
    session: Session, *, link: PortalLink, kind: str, started_on: date, description: str, today: date, now: datetime
) -> PatientReport:
    if "aftercare" not in link.forms:
        raise PermissionDenied("this link was not sent for aftercare")
    problems = []
    if kind not in BY_ID:
        problems.append("kind")
    if started_on > today or (today - started_on).days > 90:
        problems.append("started_on")
    if kind == "other" and not description.strip():
        problems.append("description")
    if problems:
        raise ValidationFailed("report not sent", details=problems)
    count = session.scalar(
        sa.select(sa.func.count()).select_from(PatientReport).where(PatientReport.link_id == link.id)
    )
    if (count or 0) >= MAX_PER_LINK:
        raise Conflict("too many reports through this link: please call the clinic")
    level = level_of(kind, description)
    row = PatientReport(
        clinic_id=link.clinic_id,
        patient_id=link.patient_id,
        link_id=link.id,
        kind=kind,
        started_on=started_on,
        description=description.strip()[:TEXT_LIMIT] or None,
        urgent=level is not Level.ROUTINE,
        reported_at=now,
    )
    session.add(row)
    session.flush()
    audit_patient(session, link, "report", "patient_report", row.id, {"kind": kind, "level": level.value})
    return row


def open_reports(session: Session, *, actor: Actor, limit: int = 100) -> list[tuple[PatientReport, Patient]]:
    """Reports nobody has reviewed yet, urgent first, with their patients (audited)."""
    require(actor, Perm.READ_CLINICAL)
    stmt = (
        sa.select(PatientReport, Patient)
        .join(Patient, Patient.id == PatientReport.patient_id)
        .where(PatientReport.clinic_id == actor.clinic_id, PatientReport.reviewed_at.is_(None))
        .order_by(PatientReport.urgent.desc(), PatientReport.reported_at.desc())
        .limit(limit)
    )
    rows = [(r, p) for r, p in session.execute(stmt).all()]
    audit.record(session, actor=actor, action="read", entity="patient_reports", detail={"ids": [r.id for r, _ in rows]})
    return rows


def reports_of(session: Session, *, actor: Actor, patient_id: int) -> list[PatientReport]:
    require(actor, Perm.READ_CLINICAL)
    stmt = sa.select(PatientReport).where(
        PatientReport.patient_id == patient_id, PatientReport.clinic_id == actor.clinic_id
    )
    return list(session.execute(stmt.order_by(PatientReport.reported_at.desc())).scalars())


def review(session: Session, *, actor: Actor, report_id: int, adverse_event_id: int | None = None) -> PatientReport:
    """Mark a report as read, optionally tying it to the adverse event recorded from it."""
    require(actor, Perm.REPORT_ADVERSE_EVENT)
    row = owned(session, PatientReport, report_id, actor=actor)
    if row.reviewed_at is not None:
        raise Conflict(f"report {report_id} was already reviewed")
    if adverse_event_id is not None and owned(session, AdverseEvent, adverse_event_id, actor=actor).patient_id != (
        row.patient_id
    ):
        raise ValidationFailed(f"adverse event {adverse_event_id} belongs to another patient")
    row.reviewed_by, row.reviewed_at, row.adverse_event_id = actor.user_id, datetime.now(UTC), adverse_event_id
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="review",
        entity="patient_report",
        entity_id=row.id,
        patient_id=row.patient_id,
        detail={"adverse_event": adverse_event_id},
    )
    return row
