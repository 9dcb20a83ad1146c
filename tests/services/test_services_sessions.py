from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa
from services_world import World, edn_pair, needle

from filiform.errors import Conflict, NotFound, PermissionDenied, SafetyBlock, ValidationFailed
from filiform.services.operations import audit
from filiform.services.records import amendments, clinical, patients, reads, sessions
from filiform.services.records.session_record import session_record
from filiform.services.records.session_safety import SessionRefused, problem_key
from filiform.storage.models import AuditLog

JUSTIFIED = "Cardiologist confirmed device is MRI/EMS safe, letter on file"


def test_session_with_consent_and_allowing_screening_is_recorded(world: World) -> None:
    forearm = {"target_id": "extensor_digitorum", "depth_mm": 12}
    row = world.session(
        world.clinician, insertions=[needle(**forearm), needle(**forearm, side="left")], pain_pre=6, pain_post=3
    )
    tl = world.run(reads.timeline, actor=world.clinician, patient_id=world.patient_id)
    assert [s.id for s in tl.sessions] == [row.id]
    assert [i.side for i in tl.sessions[0].insertions] == ["right", "left"]


def test_the_second_side_of_the_thorax_is_refused_whatever_the_reason(world: World) -> None:
    both = [needle(), needle(side="left")]
    reason = [{"problem": "thorax_second_side:2", "reason": JUSTIFIED}]
    with pytest.raises(SessionRefused) as exc:
        world.session(world.clinician, insertions=both, override_reasons=reason)
    assert [(p.rule_id, p.kind, p.insertion) for p in exc.value.problems] == [("thorax_second_side", "refused", 2)]


def _reasons(*keys: str) -> list[dict[str, str]]:
    return [{"problem": key, "reason": f"{JUSTIFIED} ({key})"} for key in keys]


# the device rule is patient-wide (one problem for both needles); the circuit rule is per lead pair
EDN_PROBLEMS = ("implanted_device_electrical", "circuit_device:circuit-1")


def test_each_problem_needs_its_own_reason_which_is_stored_and_audited(world: World) -> None:
    with pytest.raises(SessionRefused) as exc:
        world.session(world.clinician, **edn_pair())
    assert [problem_key(p) for p in exc.value.problems] == list(EDN_PROBLEMS)
    assert all(p.kind == "needs_reason" for p in exc.value.problems)
    assert exc.value.details[0].startswith("[implanted_device_electrical] No electrical dry needling")
    assert exc.value.details[1].startswith("[circuit_device:circuit-1] circuit 1 (right back of the neck")
    with pytest.raises(SessionRefused) as short:  # one problem left without a reason
        world.session(world.clinician, **edn_pair(), override_reasons=_reasons(EDN_PROBLEMS[0]))
    assert [problem_key(p) for p in short.value.problems] == [EDN_PROBLEMS[1]]
    with pytest.raises(ValidationFailed, match="at least 20 characters"):
        world.session(world.clinician, **edn_pair(), override_reasons=[{"problem": EDN_PROBLEMS[1], "reason": "short"}])
    with pytest.raises(ValidationFailed, match="override_justification"):  # one reason for all is not enough
        world.session(world.clinician, **edn_pair(), override_justification=JUSTIFIED)
    row = world.session(world.clinician, **edn_pair(), override_reasons=_reasons(*EDN_PROBLEMS))
    page = world.run(session_record, actor=world.clinician, patient_id=world.patient_id, session_id=row.id)
    assert [(o.rule_id, o.insertion_seq, o.reason) for o in page.overrides] == [
        ("implanted_device_electrical", None, f"{JUSTIFIED} (implanted_device_electrical)"),
        ("circuit_device", None, f"{JUSTIFIED} (circuit_device:circuit-1)"),
    ]
    assert "No circuit may be run" in page.overrides[1].problem
    with world.factory() as s:
        (detail,) = s.scalars(
            sa.select(AuditLog.detail).where(AuditLog.action == "safety_override", AuditLog.entity_id == row.id)
        ).all()
    assert json.loads(detail) == {
        "problems": list(EDN_PROBLEMS),
        "reason_lengths": [len(JUSTIFIED) + len(k) + 3 for k in EDN_PROBLEMS],
    }
    assert world.run(audit.verify).ok


def test_electrical_needles_are_recorded_as_lead_pairs(world: World) -> None:
    row = world.session(world.clinician, **edn_pair(frequency_hz=80), override_reasons=_reasons(*EDN_PROBLEMS))
    tl = world.run(reads.timeline, actor=world.clinician, patient_id=world.patient_id)
    stored = next(s for s in tl.sessions if s.id == row.id)
    (circuit,) = stored.circuits
    assert (circuit.lead_a, circuit.lead_b, circuit.frequency_hz, circuit.migrated_from) == (1, 2, 80.0, None)
    with pytest.raises(ValidationFailed, match="on no circuit"):
        world.session(world.clinician, insertions=[needle("electrical_dn")])
    for technique in ("pens", "percutaneous_electrolysis"):  # every needle that carries a current
        with pytest.raises(ValidationFailed, match="give its lead pair"):
            world.session(world.clinician, insertions=[needle(technique)])
    with pytest.raises(ValidationFailed, match="one side or the midline"):
        world.session(world.clinician, insertions=[needle(side="bilateral")])
    with pytest.raises(ValidationFailed, match="carries no current"):
        world.session(
            world.clinician,
            insertions=[needle("electrical_dn"), needle()],
            circuits=edn_pair()["circuits"],
        )
    for bad in ({"frequency_hz": float("inf")}, {"intensity_ma": float("nan")}, {"duration_s": 0}, {"lead_b": 1}):
        with pytest.raises(ValidationFailed):
            world.session(world.clinician, **edn_pair(**bad))


def test_no_consent_blocks_and_withdrawn_consent_blocks(world: World) -> None:
    p = world.run(
        patients.register_patient,
        actor=world.clinician,
        details={"mrn": "N-2", "given_name": "B", "family_name": "C", "birth_date": date(1990, 2, 2), "sex": "male"},
    )
    with pytest.raises(SafetyBlock, match="consent"):
        world.session(world.clinician, patient_id=p.id)
    consent = world.run(clinical.valid_consent, patient_id=world.patient_id, on=date.today())
    world.run(
        amendments.amend,
        actor=world.clinician,
        entity="consent",
        entity_id=consent.id,
        changes={"withdrawn_on": date.today().isoformat()},
        reason="patient withdrew",
        expected_version=1,
    )
    with pytest.raises(SafetyBlock, match="consent"):
        world.session(world.clinician)


def test_roles_and_clinic_isolation(world: World) -> None:
    with pytest.raises(PermissionDenied):
        world.session(world.assistant)
    with pytest.raises(PermissionDenied):
        world.run(reads.timeline, actor=world.front_desk, patient_id=world.patient_id)
    assert world.run(patients.get_patient, actor=world.front_desk, patient_id=world.patient_id).id == world.patient_id
    with pytest.raises(NotFound):
        world.run(reads.timeline, actor=world.other_clinician, patient_id=world.patient_id)
    with pytest.raises(NotFound):
        world.session(world.other_clinician)


def test_invalid_insertions_are_refused_with_every_reason(world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        world.session(world.clinician, insertions=[needle(depth_mm=50, side="up")], pain_pre=11)
    text = str(exc.value)
    assert "insertions 1 depth mm" in text and "insertions 1 side" in text and "pain pre: must be 10 or less" in text


def test_amendment_keeps_the_original_and_refuses_stale_versions(world: World) -> None:
    row = world.session(world.clinician, pain_post=4, notes="first")
    world.run(
        amendments.amend,
        actor=world.clinician,
        entity="treatment_session",
        entity_id=row.id,
        changes={"notes": "second", "pain_post": 2},
        reason="typo in post pain",
        expected_version=1,
    )
    with pytest.raises(Conflict):
        world.run(
            amendments.amend,
            actor=world.clinician,
            entity="treatment_session",
            entity_id=row.id,
            changes={"notes": "third"},
            reason="stale edit",
            expected_version=1,
        )
    hist = world.run(amendments.history, actor=world.clinician, entity="treatment_session", entity_id=row.id)
    tl = world.run(reads.timeline, actor=world.clinician, patient_id=world.patient_id)
    current = tl.sessions[0]
    assert current.notes == "second" and current.version == 2
    assert amendments.original(current.model_dump(), hist)["notes"] == "first"
    assert hist[0].amended_by == world.clinician.user_id
    with pytest.raises(ValidationFailed):
        world.run(
            amendments.amend,
            actor=world.clinician,
            entity="screening",
            entity_id=1,
            changes={"decision": {}},
            reason="not allowed",
            expected_version=1,
        )


def test_adverse_event_taxonomy(world: World) -> None:
    event = {"occurred_on": date.today(), "onset": "later", "causality": "probable"}
    with pytest.raises(ValidationFailed, match="major"):
        world.run(
            sessions.report_adverse_event,
            actor=world.assistant,
            patient_id=world.patient_id,
            details={**event, "event_type": "pneumothorax", "severity": "minor", "action_taken": "hospital"},
        )
    ev = world.run(
        sessions.report_adverse_event,
        actor=world.assistant,
        patient_id=world.patient_id,
        details={**event, "event_type": "bruising", "severity": "minor", "action_taken": "self_care"},
    )
    dash = world.run(reads.dashboard, actor=world.clinician)
    assert dash.adverse_events_30d == {"minor": 1}
    assert dash.recent_adverse_events[0].id == ev.id
