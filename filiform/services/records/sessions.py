"""Needling sessions and adverse events: the rules that protect the patient.

A session is refused unless the patient has a valid consent on the session date and a
screening (the latest before the session, or the one named) whose frozen decision allows
every technique used.  A blocked technique needs an explicit override with a written
justification; the override is stored on the session and audited as its own entry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.core.concepts import Technique
from filiform.core.safety.decision import ScreeningResult
from filiform.errors import SafetyBlock, ValidationFailed
from filiform.services.access.context import Actor, Perm, Role, require
from filiform.services.access.scope import owned, patient_of_clinic
from filiform.services.operations import audit
from filiform.services.records.clinical import _check_episode, valid_consent
from filiform.services.records.targets import validate_target_ids
from filiform.storage import vocab
from filiform.storage.models import (
    AdverseEvent,
    Insertion,
    Screening,
    TreatmentSession,
    User,
)

MIN_JUSTIFICATION = 20


@dataclass(frozen=True)
class InsertionIn:
    target_id: str
    side: str
    technique: str
    needle_length_mm: float
    needle_gauge_mm: float
    depth_mm: float
    twitch_responses: int = 0
    retention_s: int = 0
    electrical: dict[str, float] | None = field(default=None)


def _insertion_problems(n: int, ins: InsertionIn) -> list[str]:
    p = []
    if ins.technique not in {t.value for t in Technique}:
        p.append(f"#{n}: unknown technique '{ins.technique}'")
    if ins.side not in vocab.SIDES:
        p.append(f"#{n}: side must be one of {', '.join(vocab.SIDES)}")
    if not 7 <= ins.needle_length_mm <= 125:
        p.append(f"#{n}: needle length {ins.needle_length_mm} mm outside 7-125 mm")
    if not 0.12 <= ins.needle_gauge_mm <= 0.5:
        p.append(f"#{n}: needle diameter {ins.needle_gauge_mm} mm outside 0.12-0.5 mm")
    if not 0 <= ins.depth_mm <= ins.needle_length_mm:
        p.append(f"#{n}: depth must be between 0 and the needle length")
    if ins.twitch_responses < 0 or ins.retention_s < 0:
        p.append(f"#{n}: twitch count and retention cannot be negative")
    is_edn = ins.technique == Technique.ELECTRICAL.value
    if is_edn != (ins.electrical is not None):
        p.append(f"#{n}: electrical parameters are required for, and only for, electrical_dn")
    if ins.electrical is not None:
        wanted = {"frequency_hz", "pulse_width_us", "intensity_ma", "duration_s"}
        if set(ins.electrical) != wanted or any(v < 0 for v in ins.electrical.values()):
            p.append(f"#{n}: electrical needs non-negative {', '.join(sorted(wanted))}")
    return p


def _screening_for(
    session: Session, actor: Actor, patient_id: int, started_at: datetime, screening_id: int | None
) -> Screening:
    if screening_id is not None:
        row = owned(session, Screening, screening_id, actor=actor)
        if row.patient_id != patient_id:
            raise ValidationFailed(f"screening {screening_id} belongs to another patient")
        return row
    latest = session.execute(
        sa.select(Screening)
        .where(Screening.patient_id == patient_id, Screening.screened_at <= started_at)
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


def record_session(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    started_at: datetime,
    insertions: list[InsertionIn],
    pain_pre: int | None = None,
    pain_post: int | None = None,
    patient_response: str | None = None,
    notes: str | None = None,
    episode_id: int | None = None,
    screening_id: int | None = None,
    override_justification: str | None = None,
    clinician_id: int | None = None,
) -> TreatmentSession:
    require(actor, Perm.RECORD_NEEDLING)
    patient_of_clinic(session, patient_id, actor=actor)
    _check_episode(session, actor, patient_id, episode_id)
    if started_at.tzinfo is None:
        started_at = started_at.replace(tzinfo=UTC)
    clinician = owned(session, User, clinician_id or actor.user_id, actor=actor)
    problems = [] if insertions else ["a session needs at least one insertion"]
    if clinician.role != Role.CLINICIAN.value or not clinician.active:
        problems.append("the treating user must be an active clinician")
    for n, ins in enumerate(insertions, 1):
        problems.extend(_insertion_problems(n, ins))
    for label, value in (("pain before", pain_pre), ("pain after", pain_post)):
        if value is not None and not 0 <= value <= 10:
            problems.append(f"{label} must be 0-10")
    if problems:
        raise ValidationFailed("invalid session", details=problems)
    validate_target_ids(i.target_id for i in insertions)

    consent = valid_consent(session, patient_id, started_at.date())
    if consent is None:
        raise SafetyBlock("no valid informed consent on the session date")
    screening = _screening_for(session, actor, patient_id, started_at, screening_id)
    blocked = blocked_techniques(screening.decision, {i.technique for i in insertions})
    justification = (override_justification or "").strip()
    if blocked and len(justification) < MIN_JUSTIFICATION:
        raise SafetyBlock(
            "the screening does not allow this session; an override needs a "
            f"written justification of at least {MIN_JUSTIFICATION} characters",
            details=blocked,
        )

    row = TreatmentSession(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        episode_id=episode_id,
        clinician_id=clinician.id,
        consent_id=consent.id,
        screening_id=screening.id,
        started_at=started_at,
        pain_pre=pain_pre,
        pain_post=pain_post,
        patient_response=patient_response,
        notes=notes,
        override_justification=justification if blocked else None,
        created_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    session.add_all(Insertion(session_id=row.id, seq=n, **asdict(ins)) for n, ins in enumerate(insertions, 1))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="treatment_session",
        entity_id=row.id,
        patient_id=patient_id,
        detail={"insertions": len(insertions), "screening_id": screening.id, "consent_id": consent.id},
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
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    occurred_on: date,
    event_type: str,
    severity: str,
    onset: str,
    action_taken: str,
    causality: str,
    session_id: int | None = None,
    significant: bool = False,
    duration: str | None = None,
    description: str | None = None,
) -> AdverseEvent:
    """Classify and store an adverse event (taxonomy in filiform.storage.vocab)."""
    require(actor, Perm.REPORT_ADVERSE_EVENT)
    patient_of_clinic(session, patient_id, actor=actor)
    problems = [
        f"{name} must be one of {', '.join(allowed)}"
        for name, value, allowed in (
            ("event_type", event_type, vocab.AE_TYPES),
            ("severity", severity, vocab.SEVERITIES),
            ("onset", onset, vocab.AE_ONSETS),
            ("action_taken", action_taken, vocab.AE_ACTIONS),
            ("causality", causality, vocab.AE_CAUSALITY),
        )
        if value not in allowed
    ]
    if event_type in vocab.ALWAYS_MAJOR and severity != "major":
        problems.append(f"{event_type} is always a major adverse event")
    if action_taken in ("emergency_department", "hospital") and severity != "major":
        problems.append("an event needing emergency or hospital care is major")
    if event_type == "other" and not (description or "").strip():
        problems.append("describe an event of type 'other'")
    if occurred_on > date.today():
        problems.append("the event date is in the future")
    if session_id is not None and owned(session, TreatmentSession, session_id, actor=actor).patient_id != patient_id:
        problems.append(f"session {session_id} belongs to another patient")
    if problems:
        raise ValidationFailed("invalid adverse event", details=problems)
    row = AdverseEvent(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        session_id=session_id,
        occurred_on=occurred_on,
        event_type=event_type,
        severity=severity,
        significant=significant or severity == "major",
        onset=onset,
        duration=duration,
        action_taken=action_taken,
        causality=causality,
        description=description,
        created_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="adverse_event",
        entity_id=row.id,
        patient_id=patient_id,
        detail={"severity": severity, "event_type": event_type},
    )
    return row
