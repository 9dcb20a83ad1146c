"""Needling sessions and adverse events: the rules that protect the patient.

A session is refused unless the patient has a valid consent on the session's day (the
clinic's calendar day) and a screening recorded no later than the session's minute. The
safety engine then checks the session itself (:mod:`.session_safety`): its sites, depths
against the plan's ranges and the safe cap, the sides of the thorax, its circuits and
ultrasound guidance. A refused problem stops the save; every other problem needs its own
written reason, stored as a ``session_override`` row, audited and printed on the note.

The session keeps what it was done under: the consent, the screening, the drawing and the
plan (its reference and the ranges and caps it gave), and the clinic's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.core.concepts import AdverseEventDetails, NeedlingSession
from filiform.core.concepts.clock import local_date
from filiform.core.concepts.session import new_session_problems
from filiform.core.concepts.values import column_values
from filiform.core.kb.loader import load_kb
from filiform.core.safety.intake import Intake
from filiform.errors import Conflict, SafetyBlock, ValidationFailed
from filiform.services.access.context import Actor, Perm, Role, require
from filiform.services.access.scope import owned, patient_of_clinic
from filiform.services.operations import audit
from filiform.services.records import session_safety
from filiform.services.records.clinic_settings import zone_of
from filiform.services.records.clinic_time import check_day, check_start
from filiform.services.records.clinical import valid_consent
from filiform.services.records.plans import intake_from, parse_findings, patient_body, plan_for_patient
from filiform.services.records.session_safety import Overridden
from filiform.services.records.targets import validate_target_ids
from filiform.services.records.writes import add_record, check_episode
from filiform.storage.models import (
    AdverseEvent,
    ElectricalCircuitRecord,
    InsertionRecord,
    PainDrawingRecord,
    Screening,
    SessionOverride,
    TreatmentSession,
    User,
)


def _screening_for(session: Session, actor: Actor, patient_id: int, documented: NeedlingSession) -> Screening | None:
    """The screening named, else the latest one recorded no later than the session's minute.

    Times are entered to the minute, so a screening saved at 10:30:41 is in force for a
    session entered as 10:30.
    """
    screening_id, started_at = documented.screening_id, documented.started_at
    if screening_id is not None:
        row = owned(session, Screening, screening_id, actor=actor)
        if row.patient_id != patient_id:
            raise ValidationFailed(f"screening {screening_id} belongs to another patient")
        return row
    minute_end = started_at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return session.execute(
        sa.select(Screening)
        .where(Screening.patient_id == patient_id, Screening.screened_at < minute_end)
        .order_by(Screening.screened_at.desc(), Screening.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _clinician(session: Session, actor: Actor, clinician_id: int | None) -> User:
    clinician = owned(session, User, clinician_id or actor.user_id, actor=actor)
    if clinician.role != Role.CLINICIAN.value or not clinician.active:
        raise ValidationFailed("invalid session", details=["the treating user must be an active clinician"])
    return clinician


def _store_needles(session: Session, row: TreatmentSession, documented: NeedlingSession) -> None:
    needles = [
        InsertionRecord(session_id=row.id, seq=n, **column_values(ins))
        for n, ins in enumerate(documented.insertions, 1)
    ]
    session.add_all(needles)
    session.flush()
    session.add_all(
        ElectricalCircuitRecord(
            session_id=row.id,
            seq=n,
            lead_a_id=needles[c.lead_a - 1].id,
            lead_b_id=needles[c.lead_b - 1].id,
            **c.model_dump(exclude={"lead_a", "lead_b"}),
        )
        for n, c in enumerate(documented.circuits, 1)
    )
    session.flush()


def _store_overrides(session: Session, row: TreatmentSession, overridden: list[Overridden]) -> None:
    session.add_all(
        SessionOverride(
            session_id=row.id,
            seq=n,
            rule_id=o.problem.rule_id[:120],
            insertion_seq=o.problem.insertion,
            problem=session_safety.shown(o.problem),
            reason=o.reason,
        )
        for n, o in enumerate(overridden, 1)
    )
    session.flush()


def saved_form(session: Session, actor: Actor, patient_id: int, form_key: str | None) -> TreatmentSession | None:
    """The session this form already saved (a second click on save), if any."""
    if form_key is None:
        return None
    row = session.execute(
        sa.select(TreatmentSession).where(
            TreatmentSession.clinic_id == actor.clinic_id, TreatmentSession.form_key == form_key
        )
    ).scalar_one_or_none()
    if row is not None and row.patient_id != patient_id:
        raise Conflict("this form was already saved for another patient; open a new session form")
    return row


def _drawing_id(session: Session, patient_id: int, documented: NeedlingSession, day: date) -> int | None:
    """The plan's drawing, else the latest drawing of the session's day or before."""
    if documented.plan is not None and documented.plan.drawing_id is not None:
        return documented.plan.drawing_id
    found: int | None = session.scalar(
        sa.select(PainDrawingRecord.id)
        .where(PainDrawingRecord.patient_id == patient_id, PainDrawingRecord.drawn_on <= day)
        .order_by(PainDrawingRecord.drawn_on.desc(), PainDrawingRecord.id.desc())
        .limit(1)
    )
    return found


def _intake(screening: Screening | None) -> Intake | None:
    if screening is None:
        return None
    intake, fits = intake_from(screening.answers)
    if not fits:
        raise SafetyBlock(
            "the latest screening was taken with an older questionnaire: screen the patient again before needling"
        )
    return intake


def record_session(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    documented: NeedlingSession | Mapping[str, Any],
) -> TreatmentSession:
    """Store a session with its needles, circuits and override reasons, if the rules allow it.

    ``documented`` is the one session type every face builds (or a mapping validated into
    it, strictly). Raises :class:`session_safety.SessionRefused` (a ``SafetyBlock``) listing
    the engine's problems with their keys when one is refused or lacks a written reason. A
    second save of the same ``form_key`` returns the first session unchanged.
    """
    require(actor, Perm.RECORD_NEEDLING)
    patient = patient_of_clinic(session, patient_id, actor=actor)
    if not isinstance(documented, NeedlingSession):
        documented = NeedlingSession.parse(documented)
    repeated = saved_form(session, actor, patient_id, documented.form_key)
    if repeated is not None:
        return repeated
    problems = new_session_problems(documented)
    if documented.override_justification:
        problems.append(
            "override_justification: give one reason per problem in override_reasons (the problems are "
            "listed with their keys when the session is refused)"
        )
    if problems:
        raise ValidationFailed("invalid session", details=problems)
    check_episode(session, actor, patient_id, documented.episode_id)
    clinician = _clinician(session, actor, documented.clinician_id)
    validate_target_ids(i.target_id for i in documented.insertions)
    zone = zone_of(session, actor.clinic_id)
    check_start(session, actor.clinic_id, documented.started_at)
    day = local_date(documented.started_at, zone)

    consent = valid_consent(session, patient_id, day)
    if consent is None:
        raise SafetyBlock(f"no valid informed consent on the session's day ({day:%d %b %Y})")
    screening = _screening_for(session, actor, patient_id, documented)
    plan = None
    if documented.plan is not None:
        ref = documented.plan
        plan = plan_for_patient(
            session,
            actor,
            patient,
            condition=ref.condition,
            side=ref.side,
            drawing_id=ref.drawing_id,
            findings=parse_findings(ref.findings),
            today=day,
        ).plan
    drawing_id = _drawing_id(session, patient_id, documented, day)
    snapshot = session_safety.plan_snapshot(plan, documented.plan, drawing_id)
    found = session_safety.session_problems(
        _intake(screening), documented, on=day, body=patient_body(patient, day), snapshot=snapshot, kb=load_kb()
    )
    overridden = session_safety.resolve(found, documented.override_reasons)
    assert screening is not None  # a missing screening is a refused problem

    row = TreatmentSession(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        episode_id=documented.episode_id,
        clinician_id=clinician.id,
        consent_id=consent.id,
        screening_id=screening.id,
        drawing_id=drawing_id,
        plan=snapshot,
        ultrasound_guided=documented.ultrasound_guided,
        recorded_zone=zone,
        form_key=documented.form_key,
        started_at=documented.started_at,
        pain_pre=documented.pain_pre,
        pain_post=documented.pain_post,
        patient_response=documented.patient_response,
        notes=documented.notes,
        created_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    _store_needles(session, row, documented)
    _store_overrides(session, row, overridden)
    _audit(session, actor, row, documented, overridden)
    return row


def _audit(
    session: Session, actor: Actor, row: TreatmentSession, documented: NeedlingSession, overridden: list[Overridden]
) -> None:
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="treatment_session",
        entity_id=row.id,
        patient_id=row.patient_id,
        detail={
            "insertions": len(documented.insertions),
            "circuits": len(documented.circuits),
            "screening_id": row.screening_id,
            "consent_id": row.consent_id,
            "drawing_id": row.drawing_id,
            "overrides": len(overridden),
        },
    )
    if overridden:
        audit.record(
            session,
            actor=actor,
            action="safety_override",
            entity="treatment_session",
            entity_id=row.id,
            patient_id=row.patient_id,
            detail={
                "problems": [session_safety.problem_key(o.problem) for o in overridden],
                "reason_lengths": [len(o.reason) for o in overridden],
            },
        )


def report_adverse_event(
    session: Session, *, actor: Actor, patient_id: int, details: AdverseEventDetails | Mapping[str, Any]
) -> AdverseEvent:
    """Classify and store an adverse event (taxonomy: ``filiform.core.concepts.adverse_event``)."""
    require(actor, Perm.REPORT_ADVERSE_EVENT)
    patient_of_clinic(session, patient_id, actor=actor)
    event = details if isinstance(details, AdverseEventDetails) else AdverseEventDetails.parse(details)
    check_day(session, actor.clinic_id, event.occurred_on, "occurred on", "adverse event")
    if (
        event.session_id is not None
        and owned(session, TreatmentSession, event.session_id, actor=actor).patient_id != patient_id
    ):
        raise ValidationFailed(
            "invalid adverse event", details=[f"session {event.session_id} belongs to another patient"]
        )
    row = AdverseEvent(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        created_by=actor.user_id,
        **{**column_values(event), "significant": event.is_significant},
    )
    detail = {"severity": event.severity.value, "event_type": event.event_type.value}
    return add_record(session, actor, row, "adverse_event", detail)
