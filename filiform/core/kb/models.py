"""Typed, immutable records of the knowledge base.

Every model forbids unknown keys and does not coerce types, so a misspelt key or a number
written as text in a data file is an error, not a silently ignored value. Every record that
states a clinical fact names at least one citation id; the checker resolves them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$", min_length=2, max_length=80)]
RegionRef = Annotated[str, Field(pattern=r"^(contralateral:)?[a-z0-9][a-z0-9-]*$")]
CitationRefs = Annotated[tuple[Id, ...], Field(min_length=1)]
Text = Annotated[str, Field(min_length=3)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class BodyArea(StrEnum):
    HEAD_JAW = "head_jaw"
    NECK = "neck"
    SHOULDER_GIRDLE = "shoulder_girdle"
    ARM = "arm"
    FOREARM_HAND = "forearm_hand"
    TRUNK = "trunk"
    HIP_THIGH = "hip_thigh"
    LEG_FOOT = "leg_foot"


class TargetKind(StrEnum):
    MUSCLE = "muscle"
    TENDON = "tendon"
    NERVE = "nerve"
    PERIARTICULAR = "periarticular"
    SCAR = "scar"
    LIGAMENT = "ligament"


class DangerStructure(Strict):
    """A structure a needle must not reach, with the general rule that keeps it safe."""

    id: Id
    kind: Literal["lung", "nerve", "artery", "vein", "viscus", "spinal_cord", "joint", "other"]
    name: Text
    rule: Text
    citations: CitationRefs


class DepthStratum(Strict):
    """One published group of a depth study: who was measured and the mean and SD found.

    ``bmi_min`` is inclusive and ``bmi_max`` exclusive; a missing bound is open. ``n`` is
    None where the source does not give the group size.
    """

    label: Text
    n: Annotated[int, Field(ge=1)] | None = None
    sex: Literal["female", "male"] | None = None
    bmi_min: Annotated[float, Field(gt=0, lt=80)] | None = None
    bmi_max: Annotated[float, Field(gt=0, lt=80)] | None = None
    mean_mm: Annotated[float, Field(gt=0, le=150)]
    sd_mm: Annotated[float, Field(ge=0, le=60)]

    @model_validator(mode="after")
    def _ordered(self) -> DepthStratum:
        if self.bmi_min is not None and self.bmi_max is not None and self.bmi_min >= self.bmi_max:
            raise ValueError("bmi_min must be below bmi_max")
        return self


class DepthStudy(Strict):
    """Measured depth to a structure, so code can compute a safe insertion depth.

    ``bmi_intercept_mm`` and ``bmi_slope_mm`` describe a published linear model
    depth = intercept + slope x BMI where the study gives one. ``strata`` hold the
    published groups (BMI and sex bands) with their numbers, each figure from the source.
    """

    id: Id
    site: Text
    measures: Literal[
        "skin_to_pleura",
        "skin_to_rib",
        "skin_to_muscle",
        "skin_to_nerve",
        "muscle_thickness",
        "safe_insertion",
        "skin_to_bone",
    ]
    method: Text
    subjects: Annotated[int, Field(ge=1)]
    population: Text
    mean_mm: float | None = None
    sd_mm: float | None = None
    male_mean_mm: float | None = None
    female_mean_mm: float | None = None
    bmi_intercept_mm: float | None = None
    bmi_slope_mm: float | None = None
    strata: tuple[DepthStratum, ...] = ()
    notes: str | None = None
    citations: CitationRefs


class Needle(Strict):
    length_mm: Annotated[float, Field(gt=0, le=150)]
    gauge_mm: Annotated[float, Field(gt=0.1, le=0.5)]


class DepthRange(Strict):
    min_mm: Annotated[float, Field(ge=0, le=120)]
    max_mm: Annotated[float, Field(gt=0, le=120)]

    @model_validator(mode="after")
    def _ordered(self) -> DepthRange:
        if self.min_mm > self.max_mm:
            raise ValueError("min_mm must not exceed max_mm")
        return self


class NeedlingApproach(Strict):
    """How to reach a target: position, landmarks, direction, depth, needle."""

    position: Text
    landmarks: Text
    direction: Text
    depth_mm: DepthRange
    needle: Needle
    technique_notes: Text
    citations: CitationRefs


class DangerRef(Strict):
    """A danger structure near this target, with the target-specific rule."""

    structure: Id
    rule: Text
    min_distance_mm: Annotated[float, Field(ge=0)] | None = None
    citations: CitationRefs


class ReferralPattern(Strict):
    """Atlas base regions where the trigger point refers pain (ipsilateral unless prefixed).

    ``separate`` names zones the source draws as a spot of their own (not touching the rest
    of the pattern or the muscle); ``crosses_midline`` says the source draws pain on the
    other side (``contralateral:`` zones). Without them the pattern checker rejects an
    isolated cell or a crossing (``filiform.core.atlas.referral_check``).
    """

    essential: Annotated[tuple[RegionRef, ...], Field(min_length=1)]
    spillover: tuple[RegionRef, ...] = ()
    separate: tuple[RegionRef, ...] = ()
    crosses_midline: bool = False


class TriggerPoint(Strict):
    id: Id
    label: Text
    location: Text
    referral: ReferralPattern
    citations: CitationRefs


class TargetBase(Strict):
    """Fields every needling target shares, whatever its kind."""

    id: Id
    name: Text
    synonyms: tuple[str, ...] = ()
    body_area: BodyArea
    regions: Annotated[tuple[RegionRef, ...], Field(min_length=1)]
    ontology: dict[str, str] = Field(default_factory=dict)
    lung_adjacent: bool = False
    needling: Annotated[tuple[NeedlingApproach, ...], Field(min_length=1)]
    danger: tuple[DangerRef, ...] = ()
    depth_data: tuple[Id, ...] = ()
    notes: str | None = None
    citations: CitationRefs


class Muscle(TargetBase):
    kind: Literal["muscle"]
    innervation: Text
    action: Text
    trigger_points: Annotated[tuple[TriggerPoint, ...], Field(min_length=1)]


class Tendon(TargetBase):
    kind: Literal["tendon"]
    structure: Text
    indications: tuple[str, ...] = ()


class Nerve(TargetBase):
    kind: Literal["nerve"]
    roots: Text
    course: Text
    indications: tuple[str, ...] = ()


class Periarticular(TargetBase):
    kind: Literal["periarticular"]
    joint: Text
    indications: tuple[str, ...] = ()


class Scar(TargetBase):
    kind: Literal["scar"]
    indications: tuple[str, ...] = ()


class Ligament(TargetBase):
    """A ligament clinicians needle or ask about. ``evidence`` says what trials show for
    needling it, so a face can answer "will needling heal my ligament?" honestly."""

    kind: Literal["ligament"]
    joint: Text
    structure: Text
    evidence: Text
    indications: tuple[str, ...] = ()


Target = Annotated[Muscle | Tendon | Nerve | Periarticular | Scar | Ligament, Field(discriminator="kind")]
