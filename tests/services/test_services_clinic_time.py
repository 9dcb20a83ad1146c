"""Records dated on the clinic's calendar: future dates refused in the clinic's time, and a
session typed to the minute of its screening allowed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from services_world import ANSWERS, World, intake_answers, needle

from filiform.core.concepts.clock import FixedClock
from filiform.core.safety.intake import Intake
from filiform.core.safety.screening import evaluate
from filiform.errors import ValidationFailed
from filiform.services.records import clinical, outcomes, patients, sessions
from filiform.services.records.clinic_settings import settings_of
from filiform.services.records.clinic_time import check_day, clinic_today


def _zone(world: World, tz: str) -> None:
    def set_zone(s: object) -> None:
        settings_of(s, world.clinician.clinic_id).timezone = tz  # type: ignore[arg-type]

    world.run(set_zone)


def test_today_is_the_clinic_s_day_not_the_server_s(world: World) -> None:
    evening_in_new_york = FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # 21:00 on 1 March there
    _zone(world, "America/New_York")
    cid = world.clinician.clinic_id
    assert world.run(clinic_today, clinic_id=cid, clock=evening_in_new_york) == date(2026, 3, 1)
    with pytest.raises(ValidationFailed) as exc:
        world.run(check_day, clinic_id=cid, day=date(2026, 3, 2), field="drawn on", what="drawing",
                  clock=evening_in_new_york)  # fmt: skip
    assert exc.value.details == ["drawn on: 2026-03-02 is in the future (today is 2026-03-01)"]
    _zone(world, "Asia/Tokyo")
    morning_in_tokyo = FixedClock(datetime(2026, 3, 1, 20, 0, tzinfo=UTC))  # 05:00 on 2 March there
    world.run(check_day, clinic_id=cid, day=date(2026, 3, 2), field="drawn on", what="drawing", clock=morning_in_tokyo)


def test_a_session_starting_tomorrow_is_refused_in_clinic_time(world: World) -> None:
    _zone(world, "America/New_York")
    with pytest.raises(ValidationFailed) as exc:
        world.session(world.clinician, started_at=datetime.now(UTC) + timedelta(days=400))
    (detail,) = exc.value.details
    assert detail.startswith("start time: ") and "is in the future (it is now " in detail
    assert detail.endswith(", America/New_York)")


def test_an_outcome_dated_after_the_clinic_s_today_is_refused(world: World) -> None:
    tomorrow = datetime.now(UTC).date() + timedelta(days=2)
    with pytest.raises(ValidationFailed) as exc:
        world.run(
            outcomes.record_outcome,
            actor=world.clinician,
            patient_id=world.patient_id,
            details={"instrument_id": "nprs", "answers": {"pain": 4}, "completed_on": tomorrow},
        )
    assert "is in the future (today is" in exc.value.details[0]


def test_a_session_typed_to_the_minute_of_its_screening_is_allowed(world: World) -> None:
    def screened_patient(s: object) -> int:
        p = patients.register_patient(
            s,  # type: ignore[arg-type]
            actor=world.clinician,
            details={"given_name": "Mia", "family_name": "Minute", "birth_date": date(1990, 5, 5), "sex": "female"},
        )
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        clinical.record_consent(
            s,  # type: ignore[arg-type]
            actor=world.clinician,
            patient_id=p.id,
            details={"form_version": "dn-2026-1", "consented_on": yesterday},
        )
        clinical.record_screening(
            s,  # type: ignore[arg-type]
            actor=world.clinician,
            patient_id=p.id,
            answers=intake_answers(),  # complete: the session check at saving reads every answer
            result=evaluate(Intake.from_data(ANSWERS)),
        )
        return int(p.id)

    pid = world.run(screened_patient)
    same_minute = datetime.now(UTC).replace(second=0, microsecond=0)  # what a datetime-local field sends
    row = world.run(
        sessions.record_session,
        actor=world.clinician,
        patient_id=pid,
        documented={"started_at": same_minute, "insertions": [needle()]},
    )
    assert row.screening_id is not None
