"""Needling sessions and adverse events: the rules that protect the patient.

A session is refused unless the patient has a valid consent on the session date and a
screening (the latest before the session, or the one named) whose frozen decision allows
every technique used.  A blocked technique needs an explicit override with a written
justification; the override is stored on the session and audited as its own entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.core.concepts import AdverseEventDetails, NeedlingSession
from filiform.core.concepts.clock import local_date
from filiform.core.concepts.values import column_values
from filiform.core.safety.decision import ScreeningResult
from filiform.errors import SafetyBlock, ValidationFailed
from filiform.services.access.context import Actor, Perm, Role, require
from filiform.services.access.scope import owned, patient_of_clinic
from filiform.services.operations import audit
from filiform.services.records.clinic_settings import zone_of
from filiform.services.records.clinic_time import check_day, check_start
from filiform.services.records.clinical import valid_consent
from filiform.services.records.targets import validate_target_ids
from filiform.services.records.writes import add_record, check_episode
from filiform.storage.models import (
    AdverseEvent,
    ElectricalCircuitRecord,
    InsertionRecord,
    Screening,
    TreatmentSession,
    User,
)

MIN_JUSTIFICATION = 20


def _screening_for(session: Session, actor: Actor, patient_id: int, documented: NeedlingSession) -> Screening:
    screening_id, started_at = documented.screening_id, documented.started_at
    if screening_id is not None:
        row = owned(session, Screening, screening_id, actor=actor)
        if row.patient_id != patient_id:
            raise ValidationFailed(f"screening {screening_id} belongs to another patient")
        return row
    latest = session.execute(
        sa.select(Screening)
        # the start is typed to the minute: a screening saved within that minute came before it
        .where(Screening.patient_id == patient_id, Screening.screened_at < started_at + timedelta(minutes=1))
        .order_by(Screening.screened_at.desc(), Screening.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if latest is None:
        raise SafetyBlock("no screening recorded for this patient before the session")
    return latest


def blocked_techniques(snapshot: dict[str, Any], techniques: set[str]) -> list[str]:
    """Techniques the frozen decision does not allow (unassessed ones count as blocked)."""
    result = ScreeningResult.model_validate(snapshot)
    blocked = []
    for technique in sorted(techniques):
        try:
            if not result.allows(technique):
                reasons = "; ".join(r.shown for r in result.for_technique(technique).reasons)
                blocked.append(f"{technique}: do not needle ({reasons or 'no reason given'})")
        except KeyError:
            blocked.append(f"{technique}: not assessed by the screening")
    return blocked


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


def record_session(
    session: Session, *, actor: Actor, patient_id: int, documented: NeedlingSession | Mapping[str, Any]
) -> TreatmentSession:
    """Store a session with its needles and circuits, if consent and screening allow it.

    ``documented`` is the one session type every face builds (or a mapping validated into
    it, strictly). A technique the screening blocks needs a written override justification.
    """
    require(actor, Perm.RECORD_NEEDLING)
    patient_of_clinic(session, patient_id, actor=actor)
    if not isinstance(documented, NeedlingSession):
        documented = NeedlingSession.parse(documented)
    check_episode(session, actor, patient_id, documented.episode_id)
    clinician = _clinician(session, actor, documented.clinician_id)
    validate_target_ids(i.target_id for i in documented.insertions)

    check_start(session, actor.clinic_id, documented.started_at)
    consent = valid_consent(session, patient_id, local_date(documented.started_at, zone_of(session, actor.clinic_id)))
    if consent is None:
        raise SafetyBlock("no valid informed consent on the session date")
    screening = _screening_for(session, actor, patient_id, documented)
    blocked = blocked_techniques(screening.decision, {i.technique.value for i in documented.insertions})
    justification = (documented.override_justification or "").strip()
    if blocked and len(justification) < MIN_JUSTIFICATION:
        raise SafetyBlock(
            "the screening does not allow this session; an override needs a "
            f"written justification of at least {MIN_JUSTIFICATION} characters",
            details=blocked,
        )

    row = TreatmentSession(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        episode_id=documented.episode_id,
        clinician_id=clinician.id,
        consent_id=consent.id,
        screening_id=screening.id,
        started_at=documented.started_at,
        pain_pre=documented.pain_pre,
        pain_post=documented.pain_post,
        patient_response=documented.patient_response,
        notes=documented.notes,
        override_justification=justification if blocked else None,
        created_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    _store_needles(session, row, documented)
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="treatment_session",
        entity_id=row.id,
        patient_id=patient_id,
        detail={
            "insertions": len(documented.insertions),
            "circuits": len(documented.circuits),
            "screening_id": screening.id,
            "consent_id": consent.id,
        },
    )
    if blocked:
        audit.record(
            session,
            actor=actor,
            action="safety_override",
            entity="treatment_session",
            entity_id=row.id,
            patient_id=patient_id,
            detail={"blocked": blocked, "justification_len": len(justification)},
        )
    return row


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
