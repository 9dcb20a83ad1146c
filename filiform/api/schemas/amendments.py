"""Amendments: a change to a record, validated as creating the record would be."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from filiform.core.concepts.values import RecordId, Strict
from filiform.services.records.views import AmendmentView

Entity = Literal[
    "patient", "consent", "episode", "pain_drawing", "treatment_session", "adverse_event", "outcome_response"
]


class AmendmentIn(Strict):
    entity: Entity
    entity_id: RecordId
    changes: Annotated[dict[Annotated[str, Field(max_length=40)], Any], Field(max_length=20)]
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    expected_version: Annotated[int, Field(ge=1, le=1_000_000)]


class AmendmentCreated(BaseModel):
    id: int
    entity: Entity
    entity_id: int


__all__ = ["AmendmentCreated", "AmendmentIn", "AmendmentView", "Entity"]
