"""Form drafts: saved as typed, sealed at rest, only their owner's, gone once the form is saved."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from services_world import World

from filiform.errors import NotFound, PermissionDenied, ValidationFailed
from filiform.services.records import drafts
from filiform.storage.models import AuditLog, FormDraft

NOTE = "Patient reports sharp pain at the right temple after work"


def _save(world: World, **kw: object) -> None:
    args = {
        "actor": world.clinician,
        "patient_id": world.patient_id,
        "form": "screening",
        "path": f"/patients/{world.patient_id}/screening",
        "fields": {"notes": NOTE, "finding": ["a", "b"], "csrf_token": "secret-token"},
        **kw,
    }
    world.run(drafts.save_draft, **args)


def test_a_draft_comes_back_as_typed_and_is_sealed_at_rest(world: World) -> None:
    _save(world)
    _save(world, fields={"notes": NOTE + " and neck", "finding": ["a"]})  # typing on: the same draft, replaced
    got = world.run(drafts.get_draft, actor=world.clinician, patient_id=world.patient_id, form="screening")
    assert got is not None
    assert got.fields == {"notes": NOTE + " and neck", "finding": ["a"]}
    assert got.path == f"/patients/{world.patient_id}/screening"
    with world.factory() as s:
        rows = s.execute(sa.select(FormDraft)).scalars().all()
        assert len(rows) == 1
        assert rows[0].sealed.startswith("v1:") and "temple" not in rows[0].sealed
        entries = s.execute(sa.select(AuditLog.action).where(AuditLog.entity == "form_draft")).scalars().all()
    assert sorted(entries) == ["create", "read"]  # updates while typing are not one entry each


def test_the_csrf_token_is_never_kept(world: World) -> None:
    _save(world)
    got = world.run(drafts.get_draft, actor=world.clinician, patient_id=world.patient_id, form="screening")
    assert got is not None and "csrf_token" not in got.fields


def test_a_draft_is_only_its_owners(world: World) -> None:
    _save(world)
    assert world.run(drafts.get_draft, actor=world.assistant, patient_id=world.patient_id, form="screening") is None
    with pytest.raises(NotFound):
        world.run(drafts.get_draft, actor=world.other_clinician, patient_id=world.patient_id, form="screening")
    with pytest.raises(PermissionDenied):
        world.run(drafts.get_draft, actor=world.front_desk, patient_id=world.patient_id, form="screening")


def test_a_row_copied_to_another_user_does_not_open(world: World) -> None:
    _save(world)
    _save(world, actor=world.assistant, fields={"notes": "other"})
    with world.factory() as s, s.begin():
        mine, theirs = s.execute(sa.select(FormDraft).order_by(FormDraft.id)).scalars().all()
        theirs.sealed = mine.sealed
    with pytest.raises(Exception, match="cannot be opened"):
        world.run(drafts.get_draft, actor=world.assistant, patient_id=world.patient_id, form="screening")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"path": "https://evil.example/patients/1/screening"}, "path"),
        ({"path": "/patients/999999/screening"}, "path"),
        ({"form": "Screening; drop"}, "form"),
        ({"fields": {"notes": "x" * 20_001}}, "notes"),
        ({"fields": {"notes": 7}}, "notes"),
    ],
)
def test_what_cannot_be_a_draft_is_refused(world: World, change: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _save(world, **change)
    assert problem in " ".join(exc.value.details)


def test_discarding_removes_it_and_the_list_shows_unsaved_work(world: World) -> None:
    _save(world)
    _save(world, form="outcome:ndi", path=f"/patients/{world.patient_id}/measures?instrument=ndi")
    listed = world.run(drafts.drafts_of, actor=world.clinician)
    assert {d.form for d in listed} == {"screening", "outcome:ndi"}
    assert listed[0].patient_name == "Testperson, Ada"
    assert world.run(drafts.discard_draft, actor=world.clinician, patient_id=world.patient_id, form="screening")
    assert world.run(drafts.get_draft, actor=world.clinician, patient_id=world.patient_id, form="screening") is None
    assert [d.form for d in world.run(drafts.drafts_of, actor=world.clinician)] == ["outcome:ndi"]
