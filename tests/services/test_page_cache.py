"""The page cache: every clinical write through a service moves the key; hits audit like misses.

On SQLite and PostgreSQL: each write path (session, adverse event, consent, screening,
episode, drawing, outcome, amendment, a rename of the user who saved plans) changes its
patient's :func:`page_cache.stamp` version and leaves the other clinic's patient alone;
a hit records the same read entries as the miss it reuses, for the reader who hit;
a patient of another clinic is NotFound before any look-up; keys differ by role.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from services_world import World, intake_answers

from filiform.core.safety.intake import Intake
from filiform.core.safety.screening import evaluate
from filiform.errors import NotFound
from filiform.services.access import users
from filiform.services.access.context import Actor
from filiform.services.operations.audit_batch import append_many
from filiform.services.records import amendments, clinical, drawings, outcomes, page_cache, reads, sessions
from filiform.storage.engine import DEFERRED_AUDIT, read_requests, transaction
from filiform.storage.models import AuditLog, Patient


def _version(world: World, actor: Actor, patient_id: int) -> int | None:
    with world.factory() as s:
        return page_cache.stamp(s, actor=actor, patient_id=patient_id).version


def _writes(world: World) -> list[tuple[str, Callable[[], Any]]]:
    doc, pid = world.clinician, world.patient_id
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()

    def amend_phone() -> Any:
        with world.factory() as s:
            version = s.get(Patient, pid).version  # type: ignore[union-attr]
        return world.run(
            amendments.amend, actor=doc, entity="patient", entity_id=pid, changes={"phone": "555-0142"},
            reason="number corrected", expected_version=version,
        )  # fmt: skip

    return [
        ("session", lambda: world.session(doc)),
        ("adverse event", lambda: world.run(
            sessions.report_adverse_event, actor=doc, patient_id=pid,
            details={"occurred_on": yesterday, "event_type": "bruising", "severity": "minor", "onset": "during",
                     "action_taken": "none", "causality": "probable"},
        )),
        ("consent", lambda: world.run(
            clinical.record_consent, actor=doc, patient_id=pid,
            details={"form_version": "dn-2026-2", "consented_on": yesterday},
        )),
        ("screening", lambda: world.run(
            clinical.record_screening, actor=doc, patient_id=pid, answers=intake_answers(),
            result=evaluate(Intake.from_data(intake_answers()), on=date.today()), screened_at=datetime.now(UTC),
        )),
        ("episode", lambda: world.run(
            clinical.open_episode, actor=doc, patient_id=pid, details={"condition": "Neck pain", "opened_on": yesterday}
        )),
        ("drawing", lambda: world.run(
            drawings.record_drawing, actor=doc, patient_id=pid,
            details={"drawn_on": yesterday, "regions": [{"region": "right-temple-middle", "intensity": 4}]},
        )),
        ("outcome", lambda: world.run(
            outcomes.record_outcome, actor=doc, patient_id=pid,
            details={"instrument_id": "ndi", "answers": {f"s{i}": 1 for i in range(1, 11)}, "completed_on": yesterday},
        )),
        ("amendment", amend_phone),
        ("rename", lambda: _rename(world, doc.user_id)),  # no service renames yet: the trigger covers any
    ]  # fmt: skip


def _rename(world: World, user_id: int) -> None:
    with transaction(world.factory) as s:
        s.execute(sa.text("UPDATE app_user SET display_name = 'Dr Renamed' WHERE id = :u"), {"u": user_id})


def test_every_clinical_write_moves_its_patients_version_only(world: World) -> None:
    other = _version(world, world.other_clinician, world.other_patient_id)
    for name, write in _writes(world):
        before = _version(world, world.clinician, world.patient_id)
        write()
        after = _version(world, world.clinician, world.patient_id)
        assert before is not None and after is not None and after > before, name
    assert _version(world, world.other_clinician, world.other_patient_id) == other


def _timeline_read(world: World, actor: Actor, calls: list[int]) -> tuple[Any, list[tuple[Any, ...]]]:
    """The timeline through the cache, in a read unit of work, and the entries it wrote."""

    def build(s: Any) -> Any:
        calls.append(1)
        return reads.timeline(s, actor=actor, patient_id=world.patient_id)

    with read_requests(_Sink()), transaction(world.factory) as s:
        st = page_cache.stamp(s, actor=actor, patient_id=world.patient_id)
        value = page_cache.cached_read(s, actor=actor, key=st.key("test", actor), build=lambda: build(s))
        entries = [(e.user_id, e.role, e.action, e.entity, e.entity_id, e.patient_id) for e in s.info[DEFERRED_AUDIT]]
    return value, entries


class _Sink:
    def write_now(self, session: Any, entries: list[Any]) -> None:
        raise AssertionError("a read wrote")

    def write_later(self, factory: Any, entries: list[Any]) -> None:
        with transaction(factory) as s:
            append_many(s, entries)


def test_a_hit_audits_the_same_reads_for_the_reader_and_a_write_ends_it(world: World) -> None:
    calls: list[int] = []
    first, miss = _timeline_read(world, world.clinician, calls)
    again, hit = _timeline_read(world, world.clinician, calls)
    assert calls == [1] and again == first and hit == miss and miss  # built once, audited twice alike
    # another user of the same role and clinic reuses it, audited under their own id
    with transaction(world.factory) as s:
        u = users.create_user(
            s, actor=world.admin, username="clinician-n2", display_name="Second", role=world.clinician.role,
            password="correct horse battery",
        )  # fmt: skip
    second = Actor(user_id=u.id, clinic_id=world.clinician.clinic_id, role=world.clinician.role, client="127.0.0.1")
    calls.clear()
    _, theirs = _timeline_read(world, second, calls)
    assert calls == [] and [e[0] for e in theirs] == [u.id] * len(miss)
    assert [e[2:] for e in theirs] == [e[2:] for e in miss]
    world.session(world.clinician)
    changed, _ = _timeline_read(world, world.clinician, calls)
    assert calls == [1] and len(changed.sessions) == len(first.sessions) + 1
    with world.factory() as s:
        rows = s.execute(sa.select(AuditLog.entity).where(AuditLog.entity == "timeline")).scalars().all()
    assert len(rows) == 4  # every view is in the trail, hit or miss


def test_other_clinic_is_not_found_and_roles_do_not_share(world: World) -> None:
    with world.factory() as s:
        with pytest.raises(NotFound, match=f"patient {world.patient_id} not found"):
            page_cache.stamp(s, actor=world.other_clinician, patient_id=world.patient_id)
        st = page_cache.stamp(s, actor=world.clinician, patient_id=world.patient_id)
    keys = {st.key("patient", a) for a in (world.clinician, world.assistant, world.front_desk, world.admin)}
    assert len(keys) == 4


def test_only_cached_never_builds_and_records_nothing_on_a_miss(world: World) -> None:
    """The event loop's attempt: a miss raises NotCached before any read is recorded; a
    hit records the same reads as a view that built."""
    actor = world.clinician
    built: list[int] = []

    def attempt(only_cached: bool) -> tuple[Any, list[tuple[Any, ...]]]:
        with read_requests(_Sink()), transaction(world.factory) as s:
            st = page_cache.stamp(s, actor=actor, patient_id=world.patient_id)
            value = page_cache.cached_read(
                s,
                actor=actor,
                key=st.key("only-cached", actor),
                build=lambda: built.append(1) or reads.timeline(s, actor=actor, patient_id=world.patient_id),
                only_cached=only_cached,
            )
            return value, [(e.action, e.entity, e.patient_id) for e in s.info[DEFERRED_AUDIT]]

    world.session(actor)  # a version nobody has built yet
    with pytest.raises(page_cache.NotCached):
        attempt(only_cached=True)
    assert built == []
    value, reads_built = attempt(only_cached=False)
    again, reads_hit = attempt(only_cached=True)
    assert built == [1] and again == value and reads_hit == reads_built and reads_built
    with pytest.raises(page_cache.NotCached), transaction(world.factory) as s:  # no read request: never cached
        page_cache.cached_read(s, actor=actor, key=("k",), build=lambda: 1, only_cached=True)
