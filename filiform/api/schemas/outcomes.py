"""Outcome measures: the instrument catalogue, scoring (pure) and stored responses."""

from __future__ import annotations

from pydantic import BaseModel

from filiform.core.concepts import OutcomeDetails
from filiform.core.concepts.outcome import Answers, InstrumentId
from filiform.core.concepts.values import Strict
from filiform.core.outcomes import Instrument, ScoreResult

MeasureIn = OutcomeDetails


class ScoreIn(Strict):
    instrument_id: InstrumentId
    answers: Answers


class InstrumentSummary(BaseModel):
    id: str
    name: str
    short_name: str
    measures: str
    item_count: int
    range_min: float
    range_max: float
    higher_is_better: bool


class MeasureCreated(BaseModel):
    id: int
    patient_id: int
    score: ScoreResult


__all__ = ["Instrument", "InstrumentSummary", "MeasureCreated", "MeasureIn", "ScoreIn", "ScoreResult"]
