"""Needle target ids: unknown or malformed ids are refused, never stored; the check never
switches itself off (a knowledge base that fails to load is an error, not "any id goes")."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from services_world import World, needle

from filiform.core.kb.loader import load_kb
from filiform.errors import ValidationFailed
from filiform.services.records import targets
from filiform.storage.models import TreatmentSession


def _sessions(world: World) -> int:
    with world.factory() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(TreatmentSession)) or 0)


def test_an_unknown_target_is_refused_with_its_name_and_nothing_is_stored(world: World) -> None:
    before = _sessions(world)
    with pytest.raises(ValidationFailed) as caught:
        world.session(world.clinician, insertions=[needle(), needle(target_id="made_up_muscle")])
    assert caught.value.message == "target not in the knowledge base"
    assert caught.value.details == ["made_up_muscle"]
    assert _sessions(world) == before


@pytest.mark.parametrize("bad", ["Upper Trapezius", "upper-trapezius!", "", "x" * 200])
def test_a_malformed_target_is_refused(bad: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        targets.validate_target_ids(["upper_trapezius", bad])
    assert caught.value.message == "malformed target id"
    assert caught.value.details == [bad[:80]]


def test_every_knowledge_base_target_is_accepted() -> None:
    ids = sorted(load_kb().targets)
    assert len(ids) > 50 and "upper_trapezius" in ids
    targets.validate_target_ids(ids)  # raises on any refusal


def test_a_knowledge_base_that_fails_to_load_is_an_error_not_a_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise OSError("knowledge base unreadable")

    monkeypatch.delenv("FILIFORM_SKIP_KB_TARGETS", raising=False)
    monkeypatch.setattr(targets, "load_kb", broken)
    with pytest.raises(OSError, match="knowledge base unreadable"):
        targets.known_target_ids()
    with pytest.raises(OSError, match="knowledge base unreadable"):
        targets.validate_target_ids(["made_up_muscle"])


def test_the_documented_switch_keeps_the_shape_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FILIFORM_SKIP_KB_TARGETS", "1")
    assert targets.known_target_ids() is None
    targets.validate_target_ids(["clinic_local_target"])  # well formed: accepted while switched off
    with pytest.raises(ValidationFailed, match="malformed target id"):
        targets.validate_target_ids(["Not An Id"])
    monkeypatch.setenv("FILIFORM_SKIP_KB_TARGETS", "0")  # only exactly "1" switches it off
    with pytest.raises(ValidationFailed, match="target not in the knowledge base"):
        targets.validate_target_ids(["clinic_local_target"])
