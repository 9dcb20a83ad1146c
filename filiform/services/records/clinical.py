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
from filiform.core.concepts.values import column_values
from filiform.core.safety.decision import ScreeningResult
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import patient_of_clinic
from filiform.services.records.writes import add_record
from filiform.storage.models import Consent, Episode, Screening


def record_consent(
    session: Session, *, actor: Actor, patient_id: int, details: ConsentDetails | Mapping[str, Any]
) -> Consent:
    """Informed consent as obtained by the acting user (who, which form version, when)."""
    require(actor, Perm.WRITE_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    given = details if isinstance(details, ConsentDetails) else ConsentDetails.parse(details)
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
