"""Conditions and techniques as typed, immutable records.

Like the knowledge base, these forbid unknown keys and never coerce types. Every clinical
claim (dose, effect size, mechanism) names citations; where the evidence is weak the
record says so in a field the handouts and the CLI print, so it cannot be oversold.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from filiform.core.concepts import Technique
from filiform.core.kb.models import CitationRefs, Id, Strict, Text

IcdCode = Annotated[str, Field(pattern=r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")]


class Grade(StrEnum):
    """Certainty of evidence for an indication, in GRADE words (best review's rating)."""

    MODERATE = "moderate"
    LOW_MODERATE = "low_to_moderate"
    LOW = "low"
    VERY_LOW = "very_low"
    INSUFFICIENT = "insufficient"


class MechanismKind(StrEnum):
    TWITCH_RESPONSE = "twitch_response"
    AUTONOMIC = "autonomic"
    LOCAL_BLOOD_FLOW = "local_blood_flow"
    TISSUE_REPAIR = "tissue_repair"
    NEUROMODULATION = "neuromodulation"
    JOINT_EFFECTS = "joint_effects"


class MechanismStrength(StrEnum):
    """How far the proposed mechanism is supported, weakest last."""

    HUMAN_EXPERIMENTAL = "human_experimental_short_term"
    ANIMAL_ONLY = "animal_or_tissue_only"
    THEORETICAL = "theoretical"
    NOT_SUPPORTED = "not_supported_by_evidence_found"


class Range(Strict):
    min: Annotated[float, Field(ge=0)]
    max: Annotated[float, Field(ge=0)]

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class ElectricalParams(Strict):
    """Electrical dry-needling settings. ``verified: false`` marks unconfirmed figures."""

    frequency_hz: Range
    pulse_width_us: Range
    intensity: Text
    duration_min: Range
    verified: bool
    note: Text
    citations: tuple[Id, ...] = ()


class TechniqueSpec(Strict):
    id: Technique
    name: Text
    description: Text
    how: Text
    typical_needle: Text
    retention: Text
    patient_explanation: Text
    contraindications: tuple[str, ...] = ()
    electrical: ElectricalParams | None = None
    evidence_note: Text
    citations: CitationRefs


class ConditionTarget(Strict):
    """A typical target for the condition; priority 1 is tried first."""

    target: Id
    priority: Annotated[int, Field(ge=1, le=3)]
    techniques: Annotated[tuple[Technique, ...], Field(min_length=1)]
    note: str | None = None


class Dosing(Strict):
    sessions: Range
    per_week: Range
    retention: Text
    notes: Text
    reevaluate_after_days: Annotated[int, Field(ge=3, le=120)]
    citations: CitationRefs


class Mechanism(Strict):
    kind: MechanismKind
    strength: MechanismStrength
    note: Text
    citations: CitationRefs


class Review(Strict):
    """A systematic review and the effect it reported, in its own words where possible."""

    citation: Id
    finding: Text
    certainty: Grade | None = None


class Evidence(Strict):
    grade: Grade
    summary: Text
    reviews: tuple[Review, ...] = ()
    plain_language: Text


class Snomed(Strict):
    code: Annotated[str, Field(pattern=r"^\d{6,18}$")]
    term: Text


class Condition(Strict):
    id: Id
    name: Text
    icd10cm: Annotated[tuple[IcdCode, ...], Field(min_length=1)]
    icd10cm_note: str | None = None
    snomed: tuple[Snomed, ...] = ()
    summary: Text
    targets: Annotated[tuple[ConditionTarget, ...], Field(min_length=1)]
    techniques: Annotated[tuple[Technique, ...], Field(min_length=1)]
    dosing: Dosing
    electrical: ElectricalParams | None = None
    mechanisms: Annotated[tuple[Mechanism, ...], Field(min_length=1)]
    evidence: Evidence
    red_flags: Annotated[tuple[str, ...], Field(min_length=1)]
    outcome_measures: Annotated[tuple[Id, ...], Field(min_length=1)]
    patient_summary: Text

    @model_validator(mode="after")
    def _consistent(self) -> Condition:
        for t in self.targets:
            extra = set(t.techniques) - set(self.techniques)
            if extra:
                raise ValueError(
                    f"target '{t.target}' uses techniques not listed for the condition: "
                    f"{sorted(x.value for x in extra)}"
                )
        if any(t.is_electrical for t in self.techniques) and self.electrical is None:
            raise ValueError("a condition using an electrical technique must give its electrical parameters")
        return self
