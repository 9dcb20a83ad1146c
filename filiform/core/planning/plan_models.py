"""The plan's input and output shapes (kept apart from the builder so faces can import them).

The plan carries everything the clinician must know at the needle: each target's danger
rules with their sources, the condition's note for the target, whether the target may be
needled only under ultrasound, the needle and depth cap, and every precaution once, with
its evidence and the targets it applies to.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from filiform.core.concepts import Side, Technique
from filiform.core.matching import PainDrawing
from filiform.core.safety.decision import Decision, Reason, ScreeningResult
from filiform.core.safety.intake import Intake, PatientBody
from filiform.core.safety.needle import NeedleGuidance

from .models import Dosing, ElectricalParams, Grade


class PlanRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    condition: str
    side: Side | None = None
    drawing: PainDrawing | None = None
    intake: Intake = Field(default_factory=Intake)
    body: PatientBody = Field(default_factory=PatientBody)
    today: date
    max_targets: int = Field(default=5, ge=1, le=15)


class DangerNote(BaseModel):
    """A structure near the target and the target-specific rule that keeps it safe."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    structure: str
    name: str
    rule: str
    min_distance_mm: float | None = None
    citations: tuple[str, ...] = ()


class PlannedTarget(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rank: int
    target: str
    name: str
    side: Side | None
    site: str = ""
    label: str = ""
    source: str  # why it is suggested, in words ("fits the pain drawing strongly")
    fit: Literal["strong", "moderate", "weak"] | None = None  # how well it fits the drawing (None: not drawn)
    technique: Technique
    decision: Decision
    needle: NeedleGuidance
    precautions: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()
    danger: tuple[DangerNote, ...] = ()
    condition_note: str | None = None
    ultrasound_only: bool = False


class Excluded(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    target: str
    side: Side | None
    why: str
    name: str = ""  # the target's name (empty in plans saved before it was kept)


class PlanPrecaution(BaseModel):
    """A precaution once, with the rules and evidence behind it and the targets it concerns."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    rules: tuple[str, ...]
    evidence: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()


class Plan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    condition: str
    condition_name: str
    status: Literal["go", "caution", "do_not_needle"]
    targets: tuple[PlannedTarget, ...]
    excluded: tuple[Excluded, ...] = ()
    dosing: Dosing
    electrical: ElectricalParams | None = None
    precautions: tuple[str, ...] = ()
    precaution_details: tuple[PlanPrecaution, ...] = ()
    blocking_reasons: tuple[Reason, ...] = ()
    missing_answers: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    evidence_grade: Grade
    evidence_summary: str
    red_flags: tuple[str, ...]
    outcome_measures: tuple[str, ...]
    reevaluate_on: date
    screening: ScreeningResult
    citations: tuple[str, ...]
