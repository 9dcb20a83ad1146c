"""One diagnosis per episode, chosen by the clinician from the condition's candidates.

Why a choice and not a list: a claim carries one code, and only the clinician knows the
side (right, left, bilateral) and the specificity (intractable or not, which region).
The choice is an amendment of the episode (``diagnosis_code``), so the previous choice,
who changed it and why stay on record; it is refused unless the code is one of the
candidates :func:`filiform.core.planning.diagnosis.candidates` offers for the episode.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from filiform.core.planning import diagnosis as rules
from filiform.errors import ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import owned
from filiform.services.operations import audit
from filiform.services.records import amendments
from filiform.storage.models import Episode

DEFAULT_REASON = "diagnosis chosen for the claim"


@dataclass(frozen=True)
class Candidate:
    code: str
    title: str
    laterality: str


@dataclass(frozen=True)
class DiagnosisChoice:
    episode_id: int
    patient_id: int
    condition: str
    version: int
    chosen: str | None
    candidates: tuple[Candidate, ...]


def check(condition: str, listed: list[str], code: str) -> None:
    """Refuse a code that is not among the episode's candidates (one rule for every face)."""
    offered = [e.code for e in rules.candidates(condition, listed)]
    if code not in offered:
        raise ValidationFailed(
            f"{code} is not a candidate diagnosis for '{condition}'",
            details=[f"choose one of: {', '.join(offered) or '(none: record the condition codes first)'}"],
        )


def choices(session: Session, *, actor: Actor, episode_id: int) -> DiagnosisChoice:
    """The episode's candidates and current choice (an audited read)."""
    require(actor, Perm.READ_CLINICAL)
    episode = owned(session, Episode, episode_id, actor=actor)
    offered = rules.candidates(episode.condition, list(episode.icd10_codes or []))
    audit.record(
        session,
        actor=actor,
        action="read",
        entity="episode_diagnosis",
        entity_id=episode_id,
        patient_id=episode.patient_id,
    )
    return DiagnosisChoice(
        episode_id=episode.id,
        patient_id=episode.patient_id,
        condition=episode.condition,
        version=episode.version,
        chosen=episode.diagnosis_code,
        candidates=tuple(Candidate(e.code, e.title, e.laterality) for e in offered),
    )


def choose(
    session: Session, *, actor: Actor, episode_id: int, code: str, expected_version: int, reason: str | None = None
) -> Episode:
    """Set the episode's diagnosis (an amendment; refused unless a candidate)."""
    require(actor, Perm.AMEND_CLINICAL)
    episode = owned(session, Episode, episode_id, actor=actor)
    check(episode.condition, list(episode.icd10_codes or []), code)
    amendments.amend(
        session,
        actor=actor,
        entity="episode",
        entity_id=episode_id,
        changes={"diagnosis_code": code},
        reason=(reason or "").strip() or DEFAULT_REASON,
        expected_version=expected_version,
    )
    return episode
