"""Consent, screening snapshots and episodes of care.

Each write takes its concept (``ConsentDetails``, ``EpisodeDetails``) or a mapping that is
validated into it, the same type amendments and the FHIR import validate with.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.core.concepts import ConsentDetails, EpisodeDetails
from filiform.core.concepts.patient import age_on
from filiform.core.concepts.values import column_values
from filiform.core.safety.decision import ScreeningResult
from filiform.errors import NotFound
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import owned, patient_of_clinic
from filiform.services.operations import audit
from filiform.services.records.clinic_time import check_day
from filiform.services.records.writes import add_record
from filiform.storage.models import Consent, Episode, Screening


def record_consent(
    session: Session, *, actor: Actor, patient_id: int, details: ConsentDetails | Mapping[str, Any]
) -> Consent:
    """Informed consent as obtained by the acting user (who, which form version, when)."""
    require(actor, Perm.WRITE_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    given = details if isinstance(details, ConsentDetails) else ConsentDetails.parse(details)
    check_day(session, actor.clinic_id, given.consented_on, "consent given on", "consent")
    row = Consent(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        obtained_by=actor.user_id,
        created_by=actor.user_id,
        **column_values(given),
    )
    return add_record(session, actor, row, "consent")


def record_screening(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    answers: dict[str, Any],
    result: ScreeningResult,
    screened_at: datetime | None = None,
    engine_version: str | None = None,
) -> Screening:
    """Freeze the answers and the engine's decision as JSON; sessions are checked against it."""
    require(actor, Perm.WRITE_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    row = Screening(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        screened_at=screened_at or datetime.now(UTC),
        answers=dict(answers),
        decision=result.model_dump(mode="json"),
        engine_version=engine_version,
        created_by=actor.user_id,
    )
    return add_record(session, actor, row, "screening")


def open_episode(
    session: Session, *, actor: Actor, patient_id: int, details: EpisodeDetails | Mapping[str, Any]
) -> Episode:
    require(actor, Perm.WRITE_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    episode = details if isinstance(details, EpisodeDetails) else EpisodeDetails.parse(details)
    row = Episode(clinic_id=actor.clinic_id, patient_id=patient_id, created_by=actor.user_id, **column_values(episode))
    return add_record(session, actor, row, "episode")


CLINIC_CONSENT_FORM = "dn-consent-2026.2"
"""The consent page's form: the clinician confirms capacity, the patient's agreement and,
for a patient under 18, the guardian's consent, so screening need not ask them again."""
CONFIRMING_FORMS = frozenset({CLINIC_CONSENT_FORM})
ECONSENT_FORMS = frozenset({"dn-econsent-2026.1"})  # signed by the patient: agreement only


def consent_answers(session: Session, patient: Any, on: date) -> tuple[Consent | None, dict[str, str]]:
    """The screening answers the patient's valid consent already gives, and that consent.

    Only what the consent form confirmed is carried: the clinic form confirms capacity and
    agreement (and a guardian's consent for a minor); a portal e-consent, signed by the
    patient alone, only the agreement. An older form version carries nothing: the stricter
    reading is that it was never confirmed.
    """
    consent = valid_consent(session, patient.id, on)
    if consent is None:
        return None, {}
    answers: dict[str, str] = {}
    if consent.form_version in CONFIRMING_FORMS:
        answers = {"capacity_to_consent": "yes", "consents_to_needling": "yes"}
        if age_on(patient.birth_date, consent.consented_on) < 18:
            answers["guardian_consent"] = "yes"
    elif consent.form_version in ECONSENT_FORMS:
        answers = {"consents_to_needling": "yes"}
    return consent, answers


def latest_screening(session: Session, *, actor: Actor, patient_id: int) -> Screening | None:
    """The patient's latest screening with its frozen decision (audited read)."""
    require(actor, Perm.READ_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    row = session.execute(
        sa.select(Screening)
        .where(Screening.patient_id == patient_id)
        .order_by(Screening.screened_at.desc(), Screening.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if row is not None:
        audit.record(session, actor=actor, action="read", entity="screening", entity_id=row.id, patient_id=patient_id)
    return row


def get_screening(session: Session, *, actor: Actor, patient_id: int, screening_id: int) -> Screening:
    """One screening of the patient (audited read), for its result page."""
    require(actor, Perm.READ_CLINICAL)
    row = owned(session, Screening, screening_id, actor=actor)
    if row.patient_id != patient_id:
        raise NotFound(f"screening {screening_id} not found")
    audit.record(session, actor=actor, action="read", entity="screening", entity_id=row.id, patient_id=patient_id)
    return row


def valid_consent(session: Session, patient_id: int, on: date) -> Consent | None:
    """The latest consent given on or before ``on`` and not withdrawn by then."""
    stmt = (
        sa.select(Consent)
        .where(
            Consent.patient_id == patient_id,
            Consent.consented_on <= on,
            sa.or_(Consent.withdrawn_on.is_(None), Consent.withdrawn_on > on),
        )
        .order_by(Consent.consented_on.desc(), Consent.id.desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()
