from __future__ import annotations

from datetime import date, timedelta

import pytest
from services_world import World, edn_pair, needle

from filiform.errors import Conflict, NotFound, PermissionDenied, SafetyBlock, ValidationFailed
from filiform.services.operations import audit
from filiform.services.records import amendments, clinical, patients, reads, sessions

JUSTIFIED = "Cardiologist confirmed device is MRI/EMS safe, letter on file"


def test_session_with_consent_and_allowing_screening_is_recorded(world: World) -> None:
    row = world.session(world.clinician, insertions=[needle(), needle(side="left")], pain_pre=6, pain_post=3)
    tl = world.run(reads.timeline, actor=world.clinician, patient_id=world.patient_id)
    assert [s.id for s in tl.sessions] == [row.id]
    assert [i.side for i in tl.sessions[0].insertions] == ["right", "left"]


def test_blocked_technique_needs_justified_override_which_is_audited(world: World) -> None:
    with pytest.raises(SafetyBlock) as exc:
        world.session(world.clinician, **edn_pair())
    assert "electrical_dn" in str(exc.value)
    with pytest.raises(SafetyBlock):
        world.session(world.clinician, **edn_pair(), override_justification="because")
    row = world.session(world.clinician, **edn_pair(), override_justification=JUSTIFIED)
    assert row.override_justification
    rows = world.run(
        audit.report, actor=world.admin, start=world.now - timedelta(days=1), end=world.now + timedelta(days=1)
    )
    assert any(r["action"] == "safety_override" and r["entity_id"] == row.id for r in rows)


def test_electrical_needles_are_recorded_as_lead_pairs(world: World) -> None:
    row = world.session(world.clinician, **edn_pair(frequency_hz=80), override_justification=JUSTIFIED)
    tl = world.run(reads.timeline, actor=world.clinician, patient_id=world.patient_id)
    stored = next(s for s in tl.sessions if s.id == row.id)
    (circuit,) = stored.circuits
    assert (circuit.lead_a, circuit.lead_b, circuit.frequency_hz, circuit.migrated_from) == (1, 2, 80.0, None)
    with pytest.raises(ValidationFailed, match="on no circuit"):
        world.session(world.clinician, insertions=[needle("electrical_dn")], override_justification=JUSTIFIED)
    with pytest.raises(ValidationFailed, match="carries no current"):
        world.session(
            world.clinician,
            insertions=[needle("electrical_dn"), needle()],
            circuits=edn_pair()["circuits"],
            override_justification=JUSTIFIED,
        )
    for bad in ({"frequency_hz": float("inf")}, {"intensity_ma": float("nan")}, {"duration_s": 0}, {"lead_b": 1}):
        with pytest.raises(ValidationFailed):
            world.session(world.clinician, **edn_pair(**bad), override_justification=JUSTIFIED)


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
