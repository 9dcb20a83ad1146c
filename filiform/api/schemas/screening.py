"""Safety screening: the intake with the planned places and circuits, and the decision."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field

from filiform.api.deps import IsoDate, StrictIn
from filiform.core.concepts import Side
from filiform.core.concepts.values import enum_of
from filiform.core.safety.decision import ScreeningResult


class TargetIn(StrictIn):
    target: str = Field(max_length=80)
    side: Annotated[Side, BeforeValidator(enum_of(Side))] | None = None


class CircuitIn(StrictIn):
    label: str = Field(min_length=1, max_length=60)
    a: str = Field(max_length=80)
    b: str = Field(max_length=80)
    frequency_hz: float | None = None
    pulse_width_us: float | None = None
    minutes: float | None = None


class ScreeningIn(StrictIn):
    intake: dict[str, Any]
    targets: list[TargetIn] = Field(default_factory=list, max_length=60)
    sites: list[str] = Field(default_factory=list, max_length=60)
    circuits: list[CircuitIn] = Field(default_factory=list, max_length=30)
    on: IsoDate | None = None
    ultrasound: bool | None = None


class ScreeningRecorded(BaseModel):
    id: int
    patient_id: int
    decision: ScreeningResult
