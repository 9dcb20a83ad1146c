"""Input and output of the referral-pattern matcher.

A *pain drawing* is a set of atlas regions, each with an intensity, optionally a quality,
plus optional exam findings per muscle. The output ranks trigger points (per side) with an
explanation a clinician can check against the chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from filiform.core.concepts import Side

Quality = Literal["ache", "sharp", "burning", "numbness_tingling", "throbbing", "stiffness"]


class DrawnRegion(BaseModel):
    """One painted atlas region (patient's own side, e.g. ``right-temple``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    region: Annotated[str, Field(min_length=3, max_length=80)]
    intensity: Annotated[int, Field(ge=0, le=10)]
    quality: Quality | None = None


class Finding(BaseModel):
    """Exam findings for one muscle on one side; each true finding raises that muscle."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    muscle: Annotated[str, Field(min_length=2, max_length=80)]
    side: Side
    taut_band: bool = False
    spot_tenderness: bool = False
    recognised_pain: bool = False
    twitch_response: bool = False
    weakness: bool = False
    restricted_range: bool = False

    @field_validator("side", mode="before")
    @classmethod
    def _side_from_text(cls, value: object) -> object:
        return Side(value) if isinstance(value, str) and value in ("left", "right") else value


class PainDrawing(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    regions: tuple[DrawnRegion, ...]
    findings: tuple[Finding, ...] = ()
    condition: str | None = None


@dataclass(frozen=True)
class RankedTriggerPoint:
    """A trigger point on one side, scored against the drawing, with its reasons."""

    tp_id: str
    muscle_id: str
    muscle_name: str
    label: str
    side: Side
    score: float
    pattern_coverage: float  # share of the pattern's zones that are painted (weighted)
    drawing_explained: float  # share of the drawing's intensity this pattern explains
    essential_hits: tuple[str, ...]
    spillover_hits: tuple[str, ...]
    local_hits: tuple[str, ...]
    unexplained: tuple[str, ...]
    explained: tuple[str, ...] = ()  # every drawn region this pattern accounts for, sorted
    findings_applied: tuple[str, ...] = ()
    prior: float = 1.0


@dataclass(frozen=True)
class RankedMuscle:
    """A muscle's best trigger point on one side."""

    muscle_id: str
    muscle_name: str
    side: Side
    score: float
    best_tp: str
    explained: tuple[str, ...]


@dataclass(frozen=True)
class MatchResult:
    ranked: list[RankedTriggerPoint]
    muscles: list[RankedMuscle]
    cover: list[RankedTriggerPoint]
    unexplained_by_any: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
