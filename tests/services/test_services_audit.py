"""Every edit, deletion or reordering of the audit log is detected (tampering tests)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from services_world import World
from sqlalchemy.engine import Engine

from filiform.services.operations import audit
from filiform.services.records import patients, reads


def _drop_guards(engine: Engine) -> None:
    """Play a privileged attacker: remove the append-only triggers first."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_log_append_only ON audit_log")


def _verify(world: World) -> audit.VerifyReport:
    with world.factory() as s:
        return audit.verify(s)


def test_reads_and_writes_are_logged_with_who_and_where(world: World) -> None:
    world.run(patients.get_patient, actor=world.front_desk, patient_id=world.patient_id)
    world.run(reads.timeline, actor=world.clinician, patient_id=world.patient_id)
    with world.factory() as s:
        from filiform.storage.models import AuditLog

        rows = s.scalars(
            sa.select(AuditLog).where(AuditLog.patient_id == world.patient_id, AuditLog.action == "read")
        ).all()
    assert {(r.user_id, r.entity, r.client) for r in rows} == {
        (world.front_desk.user_id, "patient", "127.0.0.1"),
        (world.clinician.user_id, "timeline", "127.0.0.1"),
    }
    assert _verify(world).ok


TAMPERS: dict[str, Callable[[World], str]] = {
    "edit": lambda w: "UPDATE audit_log SET action = 'tampered' WHERE id = (SELECT MIN(id) + 3 FROM audit_log)",
    "delete_middle": lambda w: "DELETE FROM audit_log WHERE id = (SELECT MIN(id) + 2 FROM audit_log)",
    "delete_newest": lambda w: (
        f"DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log WHERE chain = {w.clinician.clinic_id})"
    ),
    "redate": lambda w: (  # a changed timestamp; real reordering: test_services_audit_order.py
        "UPDATE audit_log SET at = '1999-01-01T00:00:00+00:00' WHERE id = (SELECT MAX(id) FROM audit_log)"
    ),
    "truncate": lambda w: "DELETE FROM audit_log",
}


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_verify_detects_tampering(world: World, db_engine: Engine, tamper: str) -> None:
    world.run(reads.timeline, actor=world.clinician, patient_id=world.patient_id)
    assert _verify(world).ok
    _drop_guards(db_engine)
    with db_engine.begin() as conn:
        # MySQL-style self-referencing subqueries are fine on both SQLite and PostgreSQL.
        assert conn.exec_driver_sql(TAMPERS[tamper](world)).rowcount >= 1
    report = _verify(world)
    assert not report.ok, f"{tamper} went unnoticed"


def test_rewriting_a_whole_chain_tail_still_breaks_the_head(world: World, db_engine: Engine) -> None:
    """Recomputing hashes after an edit is caught by the chain head (unless it is forged too)."""
    _drop_guards(db_engine)
    with world.factory() as s, s.begin():
        from filiform.storage.models import AuditLog

        last = s.scalars(
            sa.select(AuditLog).where(AuditLog.chain == world.admin.clinic_id).order_by(AuditLog.seq.desc()).limit(1)
        ).one()
        last.action = "forged"
        fields = {n: getattr(last, n) for n in audit.HASHED_FIELDS}
        last.hash = audit.entry_hash(fields)
    report = _verify(world)
    assert any("head" in p for p in report.problems)
