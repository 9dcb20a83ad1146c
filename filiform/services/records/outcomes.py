"""Outcome-measure responses: answers checked and scored by the instrument, the total never typed in.

A response is dated on the clinic's calendar: a date after the clinic's today is refused
(an evening entry in a clinic west of the server is still "today"). The patient's own
words for open items (the PSFS activities) are kept beside the response, so the next visit
re-rates the same activities.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.core.concepts import OutcomeDetails
from filiform.core.concepts.clock import Clock, SystemClock
from filiform.core.outcomes import Instrument, ScoreResult, get_instrument, score
from filiform.errors import NotFound, ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import owned, patient_of_clinic
from filiform.services.operations import audit
from filiform.services.records.clinic_time import check_day
from filiform.services.records.writes import add_record, check_episode
from filiform.storage.models import OutcomeActivity, OutcomeResponse

DUPLICATE_WINDOW = timedelta(minutes=2)


def scored(details: OutcomeDetails) -> tuple[dict[str, Any], ScoreResult]:
    """The answers keyed by item id (as stored) and their score, by the instrument's own rules.

    An unknown instrument or answers the instrument refuses are a ValidationFailed: in a
    record, the instrument id is an input value like any other.
    """
    instrument = _instrument(details.instrument_id)
    answers: Any = details.answers
    if isinstance(answers, dict) and answers and all(key.isdigit() for key in answers):
        # rows the API stored before revision 0004 keyed list answers by position ("1", "2"...)
        answers = [answers[key] for key in sorted(answers, key=int)]
    result = score(details.instrument_id, answers)
    if isinstance(answers, list):
        ids = [item.id for item in instrument.items]
        answers = dict(zip(ids, answers, strict=False))
    return dict(answers), result


def _instrument(instrument_id: str) -> Instrument:
    try:
        return get_instrument(instrument_id)
    except NotFound as exc:
        raise ValidationFailed("invalid outcome details", details=[f"instrument: {exc.message}"]) from None


def _check_activities(details: OutcomeDetails) -> None:
    """Activity names only for the items the patient names (PSFS), never for fixed items."""
    open_items = {item.id: item.label for item in _instrument(details.instrument_id).items if item.named_by_patient}
    wrong = sorted(set(details.activities) - set(open_items))
    if wrong:
        raise ValidationFailed(
            "invalid outcome details",
            details=[f"activities: this instrument's item {w} has fixed wording, not the patient's own" for w in wrong],
        )


def _check_date(session: Session, actor: Actor, details: OutcomeDetails, clock: Clock) -> None:
    check_day(session, actor.clinic_id, details.completed_on, "completed on", "outcome details", clock)


def record_outcome(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    details: OutcomeDetails | Mapping[str, Any],
    clock: Clock | None = None,
) -> tuple[OutcomeResponse, ScoreResult]:
    """Store an instrument's answers, the total its scorer gives them and any activity names."""
    require(actor, Perm.WRITE_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    entered = details if isinstance(details, OutcomeDetails) else OutcomeDetails.parse(details)
    check_episode(session, actor, patient_id, entered.episode_id)
    _check_date(session, actor, entered, clock or SystemClock())
    _check_activities(entered)
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
    add_record(session, actor, row, "outcome_response")
    for item_id, text in entered.activities.items():
        session.add(
            OutcomeActivity(
                clinic_id=actor.clinic_id, patient_id=patient_id, outcome_id=row.id, item_id=item_id, text=text
            )
        )
    session.flush()
    return row, result


def recent_duplicate(
    session: Session, *, actor: Actor, patient_id: int, details: OutcomeDetails, now: datetime | None = None
) -> OutcomeResponse | None:
    """The same response (instrument, date, answers) this user saved moments ago, if any.

    Why: a second click on "save" (or a resent form) must not store the score twice; a
    form posted again within :data:`DUPLICATE_WINDOW` with identical answers is that.
    """
    answers, _result = scored(details)
    since = (now or datetime.now(UTC)) - DUPLICATE_WINDOW
    stmt = (
        sa.select(OutcomeResponse)
        .where(
            OutcomeResponse.patient_id == patient_id,
            OutcomeResponse.clinic_id == actor.clinic_id,
            OutcomeResponse.created_by == actor.user_id,
            OutcomeResponse.instrument_id == details.instrument_id,
            OutcomeResponse.completed_on == details.completed_on,
            OutcomeResponse.created_at >= since,
        )
        .order_by(OutcomeResponse.id.desc())
    )
    for row in session.execute(stmt).scalars():
        if row.answers == answers and activities_of(session, [row.id]).get(row.id, {}) == dict(details.activities):
            return row
    return None


def get_outcome(session: Session, *, actor: Actor, patient_id: int, outcome_id: int) -> OutcomeResponse:
    """One response of the patient (audited read), for its score page and its correction form."""
    require(actor, Perm.READ_CLINICAL)
    row = owned(session, OutcomeResponse, outcome_id, actor=actor)
    if row.patient_id != patient_id:
        raise NotFound(f"outcome {outcome_id} not found")
    audit.record(
        session, actor=actor, action="read", entity="outcome_response", entity_id=outcome_id, patient_id=patient_id
    )
    return row


def activities_of(session: Session, outcome_ids: list[int]) -> dict[int, dict[str, str]]:
    """Activity names per response (read with the responses they belong to)."""
    if not outcome_ids:
        return {}
    stmt = sa.select(OutcomeActivity).where(OutcomeActivity.outcome_id.in_(outcome_ids))
    out: dict[int, dict[str, str]] = {}
    for row in session.execute(stmt).scalars():
        out.setdefault(row.outcome_id, {})[row.item_id] = row.text
    return out


def latest_activities(session: Session, *, actor: Actor, patient_id: int, instrument_id: str) -> dict[str, str]:
    """The activities the patient named at the last response to this instrument (carried forward)."""
    require(actor, Perm.READ_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    stmt = (
        sa.select(OutcomeActivity.item_id, OutcomeActivity.text)
        .join(OutcomeResponse, OutcomeResponse.id == OutcomeActivity.outcome_id)
        .where(
            OutcomeResponse.patient_id == patient_id,
            OutcomeResponse.instrument_id == instrument_id,
            OutcomeResponse.id
            == sa.select(sa.func.max(OutcomeActivity.outcome_id))
            .join(OutcomeResponse, OutcomeResponse.id == OutcomeActivity.outcome_id)
            .where(OutcomeResponse.patient_id == patient_id, OutcomeResponse.instrument_id == instrument_id)
            .scalar_subquery(),
        )
    )
    return {item: text for item, text in session.execute(stmt)}
