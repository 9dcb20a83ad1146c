"""Pain drawings (``DrawingDetails``) and matching a drawing against referral patterns."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from filiform.core.concepts import DrawnRegion, Finding
from filiform.core.concepts.drawing import MAX_REGIONS, DrawingDetails
from filiform.core.concepts.values import Strict, as_tuple
from filiform.core.matching import MatchResult, RankedMuscle, RankedTriggerPoint

DrawingIn = DrawingDetails


class MatchIn(Strict):
    """A drawing to rank (not stored): regions, optional exam findings and condition."""

    regions: Annotated[tuple[DrawnRegion, ...], BeforeValidator(as_tuple), Field(max_length=MAX_REGIONS)]
    findings: Annotated[tuple[Finding, ...], BeforeValidator(as_tuple), Field(max_length=100)] = ()
    condition: Annotated[str, Field(max_length=80)] | None = None


class MatchOut(BaseModel):
    """The ranking: targets, single trigger points, the smallest explaining set, the rest."""

    muscles: list[RankedMuscle]
    ranked: list[RankedTriggerPoint]
    cover: list[RankedMuscle]
    unexplained_by_any: tuple[str, ...]
    notes: tuple[str, ...]
    nothing_explains: bool

    @classmethod
    def of(cls, result: MatchResult) -> MatchOut:
        return cls(
            muscles=result.muscles,
            ranked=result.ranked,
            cover=result.cover,
            unexplained_by_any=result.unexplained_by_any,
            notes=result.notes,
            nothing_explains=result.nothing_explains,
        )


class DrawingCreated(BaseModel):
    id: int
    patient_id: int
    drawn_on: date
    regions: tuple[DrawnRegion, ...]


__all__ = ["DrawingCreated", "DrawingIn", "MatchIn", "MatchOut"]
