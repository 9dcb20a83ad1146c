"""Recordings uploaded with a session: checked and bounded before any parsing, analysed once
and stored, read back as stored, and withdrawn only by amendment (issue 19, item 1).

The limits asserted here are the documented ones (docs/hrv.md, "Uploads in a session"):
RR text 2 MiB, 30,000 beats, 6 hours; EDF/BDF 20 MiB, 3 hours.
"""

from __future__ import annotations

import math

import pytest
from services_world import PASSWORD, World

from filiform.errors import PermissionDenied, ValidationFailed
from filiform.services.access import users
from filiform.services.access.context import Actor, Role
from filiform.services.records import amendments, recordings, session_changes
from filiform.services.records.hrv_files import check_upload, load_rr_upload
from filiform.services.records.session_record import session_analysis, session_record

MIB = 1024 * 1024
# Ten minutes of beats around 800 ms with a slow, deterministic swing (no randomness).
RR_TEXT = "".join(f"{800 + 40 * math.sin(i / 7):.0f}\n" for i in range(750)).encode()
PHASES = "baseline=0-300,needling=300-590"


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("rr.txt", b"", "empty"),
        ("rr.txt", b"800\n" * (2 * MIB // 4 + 1), "limited to 2.0 MiB"),
        ("rr.csv", b"800\n\x00\x01", "binary file"),
        ("rr.txt", b"800\n" * 30_300, "at most 30,000 beats"),
        ("ecg.edf", b"<html>not a recording</html>", "not an EDF/BDF"),
        ("ecg.edf", b"0       " + b" " * (20 * MIB), "limited to 20.0 MiB"),
        ("run.exe", b"800\n", "must be one of"),
    ],
)
def test_uploads_are_refused_on_size_and_content_before_parsing(filename: str, data: bytes, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        check_upload(filename, data)


def test_an_rr_list_longer_than_six_hours_is_refused_once_parsed() -> None:
    seven_hours = b"1260\n" * 20_000  # 20,000 beats (within the count) spanning 7 hours
    check_upload("long.txt", seven_hours)  # passes the cheap checks
    with pytest.raises(ValidationFailed, match="at most 6 are accepted"):
        load_rr_upload("long.txt", seven_hours)


def test_a_recording_is_analysed_once_and_read_as_stored(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    row = world.session(world.clinician)
    prepared = recordings.prepare("polar.txt", RR_TEXT, PHASES)
    assert prepared.error is None and prepared.analysis is not None and prepared.beats == 750
    world.run(recordings.store, actor=world.clinician, session_id=row.id, prepared=prepared)

    def no_analysis(*_: object, **__: object) -> None:
        raise AssertionError("a page analysed the recording again")

    monkeypatch.setattr(recordings, "analyse_session", no_analysis)
    kw = {"actor": world.clinician, "patient_id": world.patient_id, "session_id": row.id}
    seen = world.run(session_analysis, **kw)
    assert seen == prepared.analysis
    (item, phases) = world.run(session_record, **kw).recordings
    assert (item.kind, item.status, item.beats, item.withdrawn) == ("rr", "ok", 750, False)
    assert phases.filename == recordings.PHASES_NAME


def test_a_recording_that_cannot_be_analysed_is_kept_with_its_reason(world: World) -> None:
    row = world.session(world.clinician)
    prepared = recordings.prepare("short.txt", b"800\n810\n790\n")  # too few beats to correct artefacts
    assert prepared.analysis is None and prepared.error and "at least 10 beats" in prepared.error
    world.run(recordings.store, actor=world.clinician, session_id=row.id, prepared=prepared)
    kw = {"actor": world.clinician, "patient_id": world.patient_id, "session_id": row.id}
    (item,) = world.run(session_record, **kw).recordings  # no phases given: no phases file
    assert item.status == "failed" and item.error == prepared.error
    assert world.run(session_analysis, **kw) is None


def test_a_file_is_withdrawn_by_amendment_and_only_by_the_author(world: World) -> None:
    row = world.session(world.clinician)
    stored = world.run(
        recordings.store,
        actor=world.clinician,
        session_id=row.id,
        prepared=recordings.prepare("polar.txt", RR_TEXT),
    )
    colleague = world.run(
        users.create_user,
        actor=world.admin,
        username="colleague",
        display_name="Colleague",
        role=Role.CLINICIAN,
        password=PASSWORD,
    )
    with pytest.raises(PermissionDenied, match="only the clinician who signed"):
        world.run(
            session_changes.withdraw_attachment,
            actor=Actor(user_id=colleague.id, clinic_id=world.clinician.clinic_id, role=Role.CLINICIAN),
            attachment_id=stored.attachment_id,
            reason="Recorded on another patient",
            expected_version=1,
        )
    world.run(
        session_changes.withdraw_attachment,
        actor=world.clinician,
        attachment_id=stored.attachment_id,
        reason="Recorded on another patient",
        expected_version=1,
    )
    kw = {"actor": world.clinician, "patient_id": world.patient_id, "session_id": row.id}
    record = world.run(session_record, **kw)
    (item,) = record.recordings
    assert item.withdrawn and world.run(session_analysis, **kw) is None
    (entry,) = record.history
    assert entry.kind == "withdrawn" and entry.reason == "Recorded on another patient"
    history = world.run(amendments.history, actor=world.clinician, entity="treatment_session", entity_id=row.id)
    assert len(history) == 1 and history[0].from_version == 1
