"""Consent, screening snapshots, episodes of care, pain drawings and outcome responses."""

from __future__ import annotations

import importlib
import re
from datetime import UTC, date, datetime
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import Session

from filiform.core.atlas.build import load_atlas
from filiform.core.matching.models import DrawnRegion
from filiform.core.safety.decision import ScreeningResult
from filiform.errors import ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import owned, patient_of_clinic
from filiform.services.operations import audit
from filiform.storage.models import Consent, Episode, OutcomeResponse, PainDrawingRecord, Screening


class _Record(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def patient_id(self) -> int: ...


R = TypeVar("R", bound=_Record)
ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")


def record_consent(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    form_version: str,
    consented_on: date,
    notes: str | None = None,
) -> Consent:
    """Informed consent as obtained by the acting user (who, which form version, when)."""
    require(actor, Perm.WRITE_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    if not form_version.strip():
        raise ValidationFailed("consent form version is required")
    if consented_on > date.today():
        raise ValidationFailed("consent date is in the future")
    row = Consent(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        form_version=form_version,
        consented_on=consented_on,
        obtained_by=actor.user_id,
        notes=notes,
        created_by=actor.user_id,
    )
    return _add(session, actor, row, "consent")


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
    return _add(session, actor, row, "screening")


def open_episode(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    condition: str,
    icd10_codes: list[str],
    opened_on: date,
    plan: str | None = None,
) -> Episode:
    require(actor, Perm.WRITE_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    bad = [c for c in icd10_codes if not ICD10.match(c)]
    if bad or not condition.strip():
        raise ValidationFailed(
            "invalid episode", details=[f"not an ICD-10 code: {c}" for c in bad] or ["condition is empty"]
        )
    row = Episode(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        condition=condition.strip(),
        icd10_codes=list(icd10_codes),
        plan=plan,
        opened_on=opened_on,
        created_by=actor.user_id,
    )
    return _add(session, actor, row, "episode")


def check_regions(regions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep painted regions whose id is a body-atlas id (``right-temple-middle``).

    Each item is validated as a :class:`DrawnRegion` (intensity 0-10, symptom kind, depth,
    brush coverage) and stored with only the keys that differ from the defaults. An id
    outside the atlas would be stored but never drawn on the chart and refused by the
    matcher, so it is rejected here, on write, with the offending ids named.
    """
    atlas_ids = load_atlas().regions
    problems = []
    clean = []
    for item in regions:
        region, intensity = item.get("region"), item.get("intensity")
        if not isinstance(region, str) or not region:
            problems.append(f"region id missing in {item!r}")
        elif region not in atlas_ids:
            problems.append(f"'{region}' is not a body-atlas region id (like 'right-temple-middle')")
        elif not isinstance(intensity, int | float) or not 0 <= intensity <= 10:
            problems.append(f"{region}: intensity must be 0-10")
        else:
            try:
                drawn = DrawnRegion.model_validate({**item, "intensity": int(intensity)})
            except ValidationError as exc:
                problems.append(f"{region}: " + "; ".join(e["msg"] for e in exc.errors()))
                continue
            clean.append(drawn.model_dump(exclude_defaults=True) | {"region": region, "intensity": intensity})
    if problems or not clean:
        raise ValidationFailed("invalid pain drawing", details=problems or ["no regions"])
    return clean


def record_drawing(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    drawn_on: date,
    regions: list[dict[str, Any]],
    episode_id: int | None = None,
) -> PainDrawingRecord:
    require(actor, Perm.WRITE_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    _check_episode(session, actor, patient_id, episode_id)
    row = PainDrawingRecord(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        episode_id=episode_id,
        drawn_on=drawn_on,
        regions=check_regions(regions),
        created_by=actor.user_id,
    )
    return _add(session, actor, row, "pain_drawing")


def score_outcome(instrument_id: str, answers: dict[str, Any]) -> float | None:
    """Total from ``filiform.core.outcomes.registry.score`` when that library is present.

    Its NotFound/ValidationFailed (unknown instrument, out-of-range answers) propagate.
    """
    try:
        registry = importlib.import_module("filiform.core.outcomes.registry")
    except ImportError:
        return None
    score = getattr(registry, "score", None)
    if score is None:
        return None
    total = getattr(score(instrument_id, answers), "total", None)
    return float(total) if isinstance(total, int | float) else None


def record_outcome(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    instrument_id: str,
    answers: dict[str, Any],
    completed_on: date,
    total: float | None = None,
    episode_id: int | None = None,
) -> OutcomeResponse:
    """Store answers and total (the caller's, else the outcomes library's score)."""
    require(actor, Perm.WRITE_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    _check_episode(session, actor, patient_id, episode_id)
    if not instrument_id.strip() or not answers:
        raise ValidationFailed("an outcome response needs an instrument id and answers")
    if total is None:
        total = score_outcome(instrument_id, answers)
    row = OutcomeResponse(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        episode_id=episode_id,
        instrument_id=instrument_id,
        answers=dict(answers),
        total=total,
        completed_on=completed_on,
        created_by=actor.user_id,
    )
    return _add(session, actor, row, "outcome_response")


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


def _check_episode(session: Session, actor: Actor, patient_id: int, episode_id: int | None) -> None:
    if episode_id is not None and owned(session, Episode, episode_id, actor=actor).patient_id != (patient_id):
        raise ValidationFailed(f"episode {episode_id} belongs to another patient")


def _add(session: Session, actor: Actor, row: R, entity: str) -> R:
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="create", entity=entity, entity_id=row.id, patient_id=row.patient_id)
    return row
