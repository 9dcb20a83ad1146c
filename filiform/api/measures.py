"""Outcome measures: the instrument catalogue, scoring (pure) and stored responses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import Field

from filiform.api.deps import IsoDate, PathId, RecordId, StrictIn, actor, ok, tx
from filiform.core.outcomes import get_instrument, list_instruments, score
from filiform.services.records import clinical

router = APIRouter(tags=["measures"])

InstrumentId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]
Answer = Annotated[float, Field(allow_inf_nan=False)] | int | str | None
Answers = list[Answer] | dict[Annotated[str, Field(max_length=40)], Answer]


class ScoreIn(StrictIn):
    instrument_id: InstrumentId
    answers: Annotated[Answers, Field(max_length=200)]


class MeasureIn(ScoreIn):
    completed_on: IsoDate
    episode_id: RecordId | None = None


@router.get("/instruments")
def instruments(request: Request) -> dict[str, Any]:
    actor(request)
    return ok(
        [
            {
                "id": i.id,
                "name": i.name,
                "short_name": i.short_name,
                "measures": i.measures,
                "item_count": i.item_count,
                "range_min": i.range_min,
                "range_max": i.range_max,
                "higher_is_better": i.higher_is_better,
            }
            for i in list_instruments()
        ]
    )


@router.get("/instruments/{instrument_id}")
def instrument(instrument_id: InstrumentId, request: Request) -> dict[str, Any]:
    actor(request)
    return ok(get_instrument(instrument_id).model_dump(mode="json"))


@router.post("/measures/score")
def score_only(body: ScoreIn, request: Request) -> dict[str, Any]:
    """Score answers without storing them."""
    actor(request)
    return ok(score(body.instrument_id, body.answers).model_dump(mode="json"))


@router.post("/patients/{patient_id}/measures", status_code=201)
def record(patient_id: PathId, body: MeasureIn, request: Request) -> dict[str, Any]:
    who = actor(request)
    result = score(body.instrument_id, body.answers)
    answers = body.answers if isinstance(body.answers, dict) else {str(n): v for n, v in enumerate(body.answers, 1)}
    with tx(request) as s:
        row = clinical.record_outcome(
            s,
            actor=who,
            patient_id=patient_id,
            instrument_id=body.instrument_id,
            answers=answers,
            completed_on=body.completed_on,
            total=result.total,
            episode_id=body.episode_id,
        )
        return ok({"id": row.id, "patient_id": patient_id, "score": result.model_dump(mode="json")})
