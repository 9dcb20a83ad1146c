"""Read-only knowledge: atlas regions, targets, conditions, handouts."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from filiform.core.concepts import Side
from filiform.core.concepts.values import RecordId, Strict, enum_of
from filiform.core.kb.models import Target
from filiform.core.planning.models import Condition
from filiform.core.planning.plan import Plan

KbId = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
ConditionId = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_]*$")]


class RegionOut(BaseModel):
    id: str
    name: str
    side: str
    view: str


class TargetSummary(BaseModel):
    id: str
    name: str


class ConditionSummary(BaseModel):
    id: str
    name: str
    icd10cm: list[str]


class PlanIn(Strict):
    condition: ConditionId
    side: Annotated[Side, BeforeValidator(enum_of(Side))] | None = None
    drawing_id: RecordId | None = None


class PatientPlanOut(Plan):
    """A plan built for one patient, with what it was built from."""

    patient_id: int
    drawing_id: int | None
    screened: bool


class HandoutOut(BaseModel):
    condition: str
    techniques: list[str]
    markdown: str


__all__ = [
    "Condition",
    "ConditionId",
    "ConditionSummary",
    "HandoutOut",
    "KbId",
    "PatientPlanOut",
    "PlanIn",
    "RegionOut",
    "Target",
    "TargetSummary",
]
