"""The patient's pre-visit intake: a *proposal* until a clinician confirms it.

The patient answers the same questions as the clinician's screening (in plain words,
:mod:`filiform.core.portal.plain_questions`); the answers are validated by the same
``Intake`` model, so a contradiction is refused at once, but they are stored as a
proposal.  Screening decisions, plans and sessions read only ``Screening`` rows, and the
only way from a proposal to one is :func:`confirm`, by a clinician, who may correct any
answer first: the differences are kept on the proposal and in the audit trail.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import Session

from filiform.core.concepts.clock import local_date, utc
from filiform.core.concepts.drawing import stored_regions
from filiform.core.safety.decision import ScreeningResult
from filiform.core.safety.intake import Intake
from filiform.errors import Conflict, PermissionDenied, ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import owned, patient_of_clinic
from filiform.services.operations import audit
from filiform.services.portal.links import audit_patient, mark_done
from filiform.services.records import clinical, drawings
from filiform.services.records.clinic_settings import zone_of
from filiform.services.records.drawings import checked_regions
from filiform.storage.models import IntakeProposal, PainDrawingRecord, PortalLink, Screening

NOTE_LIMIT = 500
TEXT_LIMIT = 2000


def validated(answers: dict[str, Any]) -> Intake:
    """The answers as an ``Intake`` (ValidationFailed naming each question otherwise)."""
    try:
        return Intake.from_data(answers)
    except ValidationError as exc:
        names = sorted({str(e["loc"][0]) for e in exc.errors() if e.get("loc")})
        messages = [e.get("msg", "") for e in exc.errors() if not e.get("loc")]
        raise ValidationFailed("intake answers do not fit together", details=names + messages) from None


def _proposal_of(session: Session, link: PortalLink) -> IntakeProposal | None:
    stmt = sa.select(IntakeProposal).where(IntakeProposal.link_id == link.id)
    return session.execute(stmt).scalar_one_or_none()


def _open_proposal(session: Session, link: PortalLink, now: datetime) -> IntakeProposal:
    row = _proposal_of(session, link)
    if row is not None and row.status != "proposed":
        raise Conflict("the clinic has already reviewed these answers")
    if row is None:
        row = IntakeProposal(
            clinic_id=link.clinic_id,
            patient_id=link.patient_id,
            link_id=link.id,
            submitted_at=now,
            answers=Intake().model_dump(mode="json"),
            notes={},
            status="proposed",
        )
        session.add(row)
    return row


def submit_intake(
    session: Session,
    *,
    link: PortalLink,
    answers: dict[str, Any],
    notes: dict[str, str],
    medicines: str,
    allergies: str,
    now: datetime,
) -> IntakeProposal:
    """Store (or, before review, replace) the patient's answers as a proposal."""
    if "intake" not in link.forms:
        raise PermissionDenied("this link was not sent for the health questions")
    intake = validated(answers)
    row = _open_proposal(session, link, now)
    row.answers = intake.model_dump(mode="json")
    row.notes = {k: v.strip()[:NOTE_LIMIT] for k, v in notes.items() if v and v.strip()}
    row.medicines = medicines.strip()[:TEXT_LIMIT] or None
    row.allergies = allergies.strip()[:TEXT_LIMIT] or None
    row.submitted_at = now
    session.flush()
    mark_done(session, link, "intake", now)
    answered = sum(1 for v in row.answers.values() if v not in ("unknown", None, [], ()))
    audit_patient(session, link, "submit", "intake_proposal", row.id, {"answered": answered})
    return row


def submit_drawing(session: Session, *, link: PortalLink, regions: list[dict[str, Any]], now: datetime) -> None:
    """The patient's pain drawing, checked by the same validator as the clinician's, on the proposal."""
    if "drawing" not in link.forms:
        raise PermissionDenied("this link was not sent for the pain drawing")
    clean = stored_regions(checked_regions(regions))
    row = _open_proposal(session, link, now)
    row.drawing, row.drawn_at = clean, now
    session.flush()
    mark_done(session, link, "drawing", now)
    audit_patient(session, link, "submit", "intake_proposal", row.id, {"drawing_regions": len(clean)})


def proposal(session: Session, *, actor: Actor, proposal_id: int) -> IntakeProposal:
    """One proposal for review (audited read)."""
    require(actor, Perm.READ_CLINICAL)
    row = owned(session, IntakeProposal, proposal_id, actor=actor)
    audit.record(
        session, actor=actor, action="read", entity="intake_proposal", entity_id=row.id, patient_id=row.patient_id
    )
    return row


def proposals_of(session: Session, *, actor: Actor, patient_id: int) -> list[IntakeProposal]:
    require(actor, Perm.READ_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    stmt = sa.select(IntakeProposal).where(IntakeProposal.patient_id == patient_id)
    return list(session.execute(stmt.order_by(IntakeProposal.submitted_at.desc())).scalars())


def differences(proposed: dict[str, Any], confirmed: dict[str, Any]) -> list[dict[str, Any]]:
    """Each question whose confirmed answer differs from the patient's, with both answers."""
    return [
        {"question": key, "patient": proposed.get(key), "clinician": confirmed.get(key)}
        for key in sorted(set(proposed) | set(confirmed))
        if proposed.get(key) != confirmed.get(key)
    ]


def confirm(
    session: Session,
    *,
    actor: Actor,
    proposal_id: int,
    intake: Intake,
    result: ScreeningResult,
    engine_version: str,
    save_drawing: bool,
    now: datetime | None = None,
) -> tuple[Screening, PainDrawingRecord | None]:
    """The clinician's reviewed answers become the screening; the drawing (if kept) a record."""
    require(actor, Perm.WRITE_CLINICAL)
    row = owned(session, IntakeProposal, proposal_id, actor=actor)
    if row.status != "proposed":
        raise Conflict(f"intake {proposal_id} was already {row.status.replace('_', ' ')}")
    moment = now or datetime.now(UTC)
    confirmed = intake.model_dump(mode="json")
    screening = clinical.record_screening(
        session,
        actor=actor,
        patient_id=row.patient_id,
        answers=confirmed,
        result=result,
        screened_at=moment,
        engine_version=engine_version,
    )
    drawing = None
    if save_drawing and row.drawing:
        drawn = row.drawn_at or row.submitted_at
        drawing = drawings.record_drawing(
            session,
            actor=actor,
            patient_id=row.patient_id,
            details={
                "drawn_on": local_date(utc(drawn), zone_of(session, actor.clinic_id)),
                "regions": list(row.drawing),
            },
        )
    changed = differences(row.answers, confirmed)
    row.status, row.reviewed_by, row.reviewed_at = "confirmed", actor.user_id, moment
    row.screening_id, row.drawing_id, row.differences = screening.id, drawing.id if drawing else None, changed
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="confirm",
        entity="intake_proposal",
        entity_id=row.id,
        patient_id=row.patient_id,
        detail={"screening": screening.id, "changed": [c["question"] for c in changed], "drawing": row.drawing_id},
    )
    return screening, drawing


def set_aside(session: Session, *, actor: Actor, proposal_id: int, reason: str) -> IntakeProposal:
    """Keep the proposal but do not use it (e.g. answered for the wrong person); a reason is required."""
    require(actor, Perm.WRITE_CLINICAL)
    row = owned(session, IntakeProposal, proposal_id, actor=actor)
    if row.status != "proposed":
        raise Conflict(f"intake {proposal_id} was already {row.status.replace('_', ' ')}")
    if len(reason.strip()) < 5:
        raise ValidationFailed("say why these answers are set aside (at least 5 characters)")
    row.status, row.reviewed_by, row.reviewed_at = "set_aside", actor.user_id, datetime.now(UTC)
    row.review_note = reason.strip()[:NOTE_LIMIT]
    session.flush()
    audit.record(
        session, actor=actor, action="set_aside", entity="intake_proposal", entity_id=row.id, patient_id=row.patient_id
    )
    return row


def pending_in_clinic(session: Session, *, actor: Actor, limit: int = 100) -> list[IntakeProposal]:
    """Proposals nobody has reviewed yet, oldest first (the clinic's inbox)."""
    require(actor, Perm.READ_CLINICAL)
    stmt = (
        sa.select(IntakeProposal)
        .where(IntakeProposal.clinic_id == actor.clinic_id, IntakeProposal.status == "proposed")
        .order_by(IntakeProposal.submitted_at)
        .limit(limit)
    )
    rows = list(session.execute(stmt).scalars())
    audit.record(session, actor=actor, action="read", entity="intake_proposals", detail={"ids": [r.id for r in rows]})
    return rows


def propose_imported(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    answers: dict[str, Any],
    medicines: str,
    allergies: str,
    source: str,
) -> IntakeProposal:
    """Screening answers another system's records suggest (a FHIR import), as a proposal.

    The same mechanism as the patient's own intake: nothing reaches a screening until a
    clinician reviews and confirms it (:func:`confirm`).
    """
    require(actor, Perm.WRITE_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    intake = validated(answers)
    row = IntakeProposal(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        link_id=None,
        submitted_at=datetime.now(UTC),
        answers=intake.model_dump(mode="json"),
        notes={},
        medicines=medicines.strip()[:TEXT_LIMIT] or None,
        allergies=allergies.strip()[:TEXT_LIMIT] or None,
        status="proposed",
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="propose",
        entity="intake_proposal",
        entity_id=row.id,
        patient_id=patient_id,
        detail={"source": source[:200]},
    )
    return row
