"""Outcome-measure responses: answers checked and scored by the instrument, the total never typed in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from filiform.core.concepts import OutcomeDetails
from filiform.core.outcomes import ScoreResult, get_instrument, score
from filiform.errors import NotFound, ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import patient_of_clinic
from filiform.services.records.writes import add_record, check_episode
from filiform.storage.models import OutcomeResponse


def scored(details: OutcomeDetails) -> tuple[dict[str, Any], ScoreResult]:
    """The answers keyed by item id (as stored) and their score, by the instrument's own rules.

    An unknown instrument or answers the instrument refuses are a ValidationFailed: in a
    record, the instrument id is an input value like any other.
    """
    try:
        instrument = get_instrument(details.instrument_id)
    except NotFound as exc:
        raise ValidationFailed("invalid outcome details", details=[f"instrument_id: {exc.message}"]) from None
    answers: Any = details.answers
    if isinstance(answers, dict) and answers and all(key.isdigit() for key in answers):
        # rows the API stored before revision 0004 keyed list answers by position ("1", "2"...)
        answers = [answers[key] for key in sorted(answers, key=int)]
    result = score(details.instrument_id, answers)
    if isinstance(answers, list):
        ids = [item.id for item in instrument.items]
        answers = dict(zip(ids, answers, strict=False))
    return dict(answers), result


def record_outcome(
    session: Session, *, actor: Actor, patient_id: int, details: OutcomeDetails | Mapping[str, Any]
) -> tuple[OutcomeResponse, ScoreResult]:
    """Store an instrument's answers and the total its scorer gives them."""
    require(actor, Perm.WRITE_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    entered = details if isinstance(details, OutcomeDetails) else OutcomeDetails.parse(details)
    check_episode(session, actor, patient_id, entered.episode_id)
    answers, result = scored(entered)
    row = OutcomeResponse(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        episode_id=entered.episode_id,
        instrument_id=entered.instrument_id,
        answers=answers,
        total=result.total,
        completed_on=entered.completed_on,
        created_by=actor.user_id,
    )
    return add_record(session, actor, row, "outcome_response"), result
