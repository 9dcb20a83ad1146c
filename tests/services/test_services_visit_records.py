"""What a visit records besides the session: consent answers carried to screening, plans saved
to an episode and read back as saved, outcome scores dated on the clinic's calendar with the
patient's own activities, the record's audit trail and its amendments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from services_world import World

from filiform.core.concepts.clock import FixedClock
from filiform.errors import PermissionDenied, ValidationFailed
from filiform.services.operations import record_trail
from filiform.services.records import amendments, clinical, history, outcomes, patients, plans, reads, saved_plans
from filiform.services.records.clinic_settings import settings_of


def _plan(world: World, condition: str = "lateral_elbow_tendinopathy") -> plans.PatientPlan:
    def build(s, **_kw):  # type: ignore[no-untyped-def]
        patient = patients.get_patient(s, actor=world.clinician, patient_id=world.patient_id)
        return plans.plan_for_patient(s, world.clinician, patient, condition=condition, side="right")

    return world.run(build)


def test_a_saved_plan_opens_an_episode_and_reads_back_as_saved(world: World) -> None:
    built = _plan(world)
    inputs = saved_plans.PlanInputs(condition=built.plan.condition, side="right", findings=())
    first = world.run(
        saved_plans.save_plan,
        actor=world.clinician,
        patient_id=world.patient_id,
        built=built,
        inputs=inputs,
        opened_on=date.today(),
    )
    again = world.run(
        saved_plans.save_plan,
        actor=world.clinician,
        patient_id=world.patient_id,
        built=built,
        inputs=inputs,
        opened_on=date.today(),
    )
    assert again.episode_id == first.episode_id  # the open episode of that condition, not a second one
    episodes = world.run(reads.episodes, actor=world.clinician, patient_id=world.patient_id)
    assert [e.condition for e in episodes] == [built.condition.name]
    assert episodes[0].icd10_codes  # the condition's codes came along
    saved = world.run(saved_plans.saved_plans, actor=world.clinician, patient_id=world.patient_id)
    assert [p.id for p in saved] == [again.id, first.id]
    one = world.run(saved_plans.saved_plan, actor=world.clinician, patient_id=world.patient_id, plan_id=first.id)
    assert one.plan == built.plan  # exactly the plan that was shown
    assert one.inputs == inputs and one.saved_by == "clinician"


def test_a_plan_is_not_saved_to_a_closed_or_foreign_episode(world: World) -> None:
    built = _plan(world)
    inputs = saved_plans.PlanInputs(condition=built.plan.condition)
    other = world.run(
        clinical.open_episode,
        actor=world.other_clinician,
        patient_id=world.other_patient_id,
        details={"condition": "x", "opened_on": "2026-01-01"},
    )
    closed = world.run(
        clinical.open_episode,
        actor=world.clinician,
        patient_id=world.patient_id,
        details={"condition": "old", "opened_on": "2025-01-01", "closed_on": "2025-03-01"},
    )
    for episode_id, error in ((other.id, "not found"), (closed.id, "closed")):
        with pytest.raises(Exception, match=error):
            world.run(
                saved_plans.save_plan,
                actor=world.clinician,
                patient_id=world.patient_id,
                built=built,
                inputs=inputs,
                opened_on=date.today(),
                episode_id=episode_id,
            )


def test_consent_answers_carry_what_the_form_confirmed(world: World) -> None:
    minor = world.run(
        patients.register_patient,
        actor=world.clinician,
        details={"given_name": "Kid", "family_name": "Young", "birth_date": "2015-05-05", "sex": "male"},
        lax=True,
    )
    for pid, version in ((minor.id, clinical.CLINIC_CONSENT_FORM), (world.patient_id, "dn-2026-1")):
        world.run(
            clinical.record_consent,
            actor=world.clinician,
            patient_id=pid,
            details={"form_version": version, "consented_on": date.today().isoformat()},
        )

    def carried(s, pid):  # type: ignore[no-untyped-def]
        return clinical.consent_answers(
            s, patients.get_patient(s, actor=world.clinician, patient_id=pid), date.today()
        )[1]

    assert world.run(carried, pid=minor.id) == {
        "capacity_to_consent": "yes",
        "consents_to_needling": "yes",
        "guardian_consent": "yes",
    }
    assert world.run(carried, pid=world.patient_id) == {}  # an older form confirmed nothing the screening asks


def _ndi(completed_on: str, **extra: object) -> dict[str, object]:
    return {
        "instrument_id": "ndi",
        "answers": {f"s{i}": 1 for i in range(1, 11)},
        "completed_on": completed_on,
        **extra,
    }


def test_a_score_dated_after_the_clinics_today_is_refused(world: World) -> None:
    with world.factory() as s, s.begin():
        settings_of(s, world.clinician.clinic_id).timezone = "Pacific/Kiritimati"  # UTC+14
    late_evening_utc = FixedClock(datetime(2026, 3, 1, 20, 0, tzinfo=UTC))  # already 2 March in the clinic
    row, _ = world.run(
        outcomes.record_outcome,
        actor=world.clinician,
        patient_id=world.patient_id,
        details=_ndi("2026-03-02"),
        clock=late_evening_utc,
    )
    assert row.completed_on == date(2026, 3, 2)
    with pytest.raises(ValidationFailed) as exc:
        world.run(
            outcomes.record_outcome,
            actor=world.clinician,
            patient_id=world.patient_id,
            details=_ndi("2026-03-03"),
            clock=late_evening_utc,
        )
    assert exc.value.details == ["completed on: 2026-03-03 is in the future (today is 2026-03-02)"]


def test_psfs_activities_are_kept_and_carried_to_the_next_visit(world: World) -> None:
    today = date.today().isoformat()
    psfs = {"instrument_id": "psfs", "answers": {"a1": 3, "a2": 5}, "completed_on": today}
    world.run(
        outcomes.record_outcome,
        actor=world.clinician,
        patient_id=world.patient_id,
        details={**psfs, "activities": {"a1": "Lifting my grandson", "a2": "Driving to work"}},
    )
    carried = world.run(
        outcomes.latest_activities, actor=world.clinician, patient_id=world.patient_id, instrument_id="psfs"
    )
    assert carried == {"a1": "Lifting my grandson", "a2": "Driving to work"}
    with pytest.raises(ValidationFailed, match="outcome"):
        world.run(
            outcomes.record_outcome,
            actor=world.clinician,
            patient_id=world.patient_id,
            details={**_ndi(today), "activities": {"s1": "my own words"}},
        )


def test_the_same_score_sent_twice_is_recognised(world: World) -> None:
    from filiform.core.concepts import OutcomeDetails

    details = OutcomeDetails.parse(_ndi(date.today().isoformat()))
    row, _ = world.run(outcomes.record_outcome, actor=world.clinician, patient_id=world.patient_id, details=details)
    twice = world.run(outcomes.recent_duplicate, actor=world.clinician, patient_id=world.patient_id, details=details)
    assert twice is not None and twice.id == row.id
    later = datetime.now(UTC) + timedelta(minutes=3)
    assert (
        world.run(
            outcomes.recent_duplicate,
            actor=world.clinician,
            patient_id=world.patient_id,
            details=details,
            now=later,
        )
        is None
    )


def test_the_trail_names_who_saw_and_changed_the_record(world: World) -> None:
    row, _ = world.run(
        outcomes.record_outcome,
        actor=world.clinician,
        patient_id=world.patient_id,
        details=_ndi(date.today().isoformat()),
    )
    world.run(
        amendments.amend,
        actor=world.clinician,
        entity="outcome_response",
        entity_id=row.id,
        changes={"answers": {f"s{i}": 2 for i in range(1, 11)}},
        reason="patient misread item 3",
        expected_version=1,
    )
    with pytest.raises(PermissionDenied):
        world.run(record_trail.patient_trail, actor=world.clinician, patient_id=world.patient_id)
    trail = world.run(record_trail.patient_trail, actor=world.admin, patient_id=world.patient_id)
    words = [(e.who, e.words) for e in trail]
    assert ("clinician", f"corrected an outcome measure #{row.id}") in words
    assert ("clinician", f"recorded an outcome measure #{row.id}") in words
    changes = world.run(history.patient_amendments, actor=world.clinician, patient_id=world.patient_id)
    assert changes[0].record == "Outcome measure" and changes[0].reason == "patient misread item 3"
    assert changes[0].who == "clinician" and changes[0].changes[0].field == "answers"
    seen = world.run(record_trail.patient_trail, actor=world.admin, patient_id=world.patient_id)
    assert [(e.who, e.words) for e in seen[:2]] == [
        ("clinician", "viewed amendment history"),
        ("Administrator", "viewed this audit trail"),  # looking at who looked is on the trail too
    ]
