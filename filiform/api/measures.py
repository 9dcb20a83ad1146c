"""Outcome measures: the instrument catalogue, scoring (pure) and stored responses."""

from __future__ import annotations

from fastapi import APIRouter

from filiform.api.deps import CurrentActor, Envelope, PathId, UnitOfWork
from filiform.api.schemas.outcomes import (
    Instrument,
    InstrumentSummary,
    MeasureCreated,
    MeasureIn,
    ScoreIn,
    ScoreResult,
)
from filiform.core.concepts.outcome import InstrumentId
from filiform.core.outcomes import get_instrument, list_instruments, score
from filiform.services.records import outcomes

router = APIRouter(tags=["measures"])


@router.get("/instruments", response_model=Envelope[list[InstrumentSummary]])
def instruments(who: CurrentActor) -> Envelope[list[InstrumentSummary]]:
    return Envelope(data=[InstrumentSummary.model_validate(i, from_attributes=True) for i in list_instruments()])


@router.get("/instruments/{instrument_id}", response_model=Envelope[Instrument])
def instrument(instrument_id: InstrumentId, who: CurrentActor) -> Envelope[Instrument]:
    return Envelope(data=get_instrument(instrument_id))


@router.post("/measures/score", response_model=Envelope[ScoreResult])
def score_only(body: ScoreIn, who: CurrentActor) -> Envelope[ScoreResult]:
    """Score answers without storing them."""
    return Envelope(data=score(body.instrument_id, body.answers))


@router.post("/patients/{patient_id}/measures", status_code=201, response_model=Envelope[MeasureCreated])
def record(patient_id: PathId, body: MeasureIn, who: CurrentActor, s: UnitOfWork) -> Envelope[MeasureCreated]:
    row, result = outcomes.record_outcome(s, actor=who, patient_id=patient_id, details=body)
    return Envelope(data=MeasureCreated(id=row.id, patient_id=patient_id, score=result))
