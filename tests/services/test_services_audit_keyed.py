"""Issue 19 item 2: the keyed chain, row hashes and the checkpoint catch what the plain
SHA-256 chain let through (each attack below passed ``audit verify`` before the fix)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from services_world import World, edn_pair, needle
from sqlalchemy.engine import Engine

from filiform.services.operations import audit, audit_keys, checkpoint
from filiform.services.records import amendments, reads, sessions
from filiform.storage.models import AuditHead, AuditLog


def _drop_triggers(engine: Engine) -> None:
    """A privileged attacker first removes the append-only triggers."""
    with engine.begin() as conn:
        for table in ("audit_log", "amendment"):
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_update")
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            else:
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")


def _verify(world: World) -> audit.VerifyReport:
    with world.factory() as s:
        return audit.verify(s)


def _plain(fields: dict[str, object]) -> str:
    """The pre-0004 algorithm, written out here: SHA-256 of canonical JSON of 13 fields."""
    names = ("chain", "seq", "at", "user_id", "clinic_id", "role", "client", "action", "entity")
    names += ("entity_id", "patient_id", "detail", "prev_hash")
    text = json.dumps({n: fields[n] for n in names}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _clinical_rows(world: World) -> dict[str, int]:
    forearm = needle(target_id="extensor_digitorum", side="left", depth_mm=10)  # one side of the thorax only
    row = world.session(world.clinician, insertions=[needle(), forearm], pain_pre=6, notes="tolerated well")
    ev = world.run(
        sessions.report_adverse_event,
        actor=world.clinician,
        patient_id=world.patient_id,
        details={
            "occurred_on": date.today(),
            "event_type": "bruising",
            "severity": "minor",
            "onset": "within_24h",
            "action_taken": "self_care",
            "causality": "certain",
        },
    )
    am = world.run(
        amendments.amend,
        actor=world.clinician,
        entity="treatment_session",
        entity_id=row.id,
        changes={"pain_post": 2},
        reason="post-treatment score added",
        expected_version=row.version,
    )
    return {"session": row.id, "event": ev.id, "amendment": am.id}


def test_edit_with_a_recomputed_plain_chain_is_detected(world: World, db_engine: Engine) -> None:
    """The old attack: edit an entry, recompute every later hash and the head with SHA-256."""
    world.run(reads.timeline, actor=world.clinician, patient_id=world.patient_id)
    assert _verify(world).ok
    _drop_triggers(db_engine)
    chain = world.clinician.clinic_id
    with world.factory() as s, s.begin():
        rows = s.scalars(sa.select(AuditLog).where(AuditLog.chain == chain).order_by(AuditLog.seq)).all()
        prev = rows[0].prev_hash
        for n, row in enumerate(rows):
            if n == 1:
                row.action = "forged"
            row.prev_hash = prev
            row.hash = _plain(
                {k: getattr(row, k) for k in ("chain", "seq", "at", "user_id", "clinic_id", "role")}
                | {k: getattr(row, k) for k in ("client", "action", "entity", "entity_id")}
                | {"patient_id": row.patient_id, "detail": row.detail, "prev_hash": prev}
            )
            prev = row.hash
        head = s.get(AuditHead, chain)
        assert head is not None
        head.hash = prev
    report = _verify(world)
    assert not report.ok
    assert any("HMAC" in p for p in report.problems)


@pytest.mark.parametrize("tamper", ["note", "insertion", "adverse_event", "amendment"])
def test_direct_edits_and_deletions_of_clinical_rows_are_detected(world: World, db_engine: Engine, tamper: str) -> None:
    ids = _clinical_rows(world)
    assert _verify(world).ok
    _drop_triggers(db_engine)
    sql = {
        "note": f"UPDATE treatment_session SET notes = 'rewritten' WHERE id = {ids['session']}",
        "insertion": f"DELETE FROM insertion WHERE session_id = {ids['session']} AND seq = 2",
        "adverse_event": f"DELETE FROM adverse_event WHERE id = {ids['event']}",
        "amendment": f"DELETE FROM amendment WHERE id = {ids['amendment']}",
    }[tamper]
    with db_engine.begin() as conn:
        assert conn.exec_driver_sql(sql).rowcount == 1
    report = _verify(world)
    assert not report.ok, f"{tamper} went unnoticed"
    table = {"note": "treatment_session", "insertion": "treatment_session"}.get(tamper, tamper)
    assert any(p.startswith(f"{table} ") for p in report.problems), report.problems


def test_truncation_with_the_head_moved_back_is_caught_by_the_checkpoint(world: World, db_engine: Engine) -> None:
    chain = world.clinician.clinic_id
    world.run(reads.timeline, actor=world.clinician, patient_id=world.patient_id)
    with world.factory() as s, s.begin():
        checkpoint.write(s, audit.database_url(s))
        keep = s.get(AuditHead, chain)
        assert keep is not None
        old_seq = keep.seq - 2
        old = s.scalars(sa.select(AuditLog).where(AuditLog.chain == chain, AuditLog.seq == old_seq)).one()
        old_hash = old.hash
    _drop_triggers(db_engine)
    with db_engine.begin() as conn:  # delete the newest entries, point the head at a genuine older one
        conn.execute(sa.delete(AuditLog).where(AuditLog.chain == chain, AuditLog.seq > old_seq))
        conn.execute(sa.update(AuditHead).where(AuditHead.chain == chain).values(seq=old_seq, hash=old_hash))
    with world.factory() as s:
        without = audit.verify(s, anchor=None)
    assert without.ok  # the chain alone cannot tell: this is what the checkpoint is for
    report = _verify(world)
    assert any("truncation" in p for p in report.problems), report.problems


def test_moving_keyed_from_forward_is_caught(world: World, db_engine: Engine) -> None:
    chain = world.clinician.clinic_id
    with world.factory() as s, s.begin():
        checkpoint.write(s, audit.database_url(s))
    with db_engine.begin() as conn:
        conn.execute(sa.update(AuditHead).where(AuditHead.chain == chain).values(keyed_from=AuditHead.seq + 1))
    problems = _verify(world).problems
    assert any("keyed" in p for p in problems), problems


def test_a_forged_or_damaged_checkpoint_is_reported(world: World) -> None:
    with world.factory() as s, s.begin():
        path = checkpoint.write(s, audit.database_url(s))
    doc = json.loads(Path(path).read_text())
    doc["body"]["heads"][str(world.clinician.clinic_id)]["seq"] += 5
    Path(path).write_text(json.dumps(doc))
    assert any("not signed" in p for p in _verify(world).problems)


def test_key_rotation_keeps_old_entries_verifiable_and_a_missing_key_is_named(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world.factory() as s:
        url = audit.database_url(s)
    copy = tmp_path / "audit.key"  # rotate a copy: PostgreSQL tests share var/audit.key
    copy.write_bytes(audit_keys.key_path(url).read_bytes())
    monkeypatch.setenv(audit_keys.KEY_FILE_ENV, str(copy))
    audit_keys.clear_cache()
    ring = audit_keys.rotate(url)
    assert ring.current == "k2" and set(ring.keys) == {"k1", "k2"}
    world.run(reads.timeline, actor=world.clinician, patient_id=world.patient_id)
    with world.factory() as s:
        keys = set(s.scalars(sa.select(AuditLog.key_id).distinct()))
    assert {"k1", "k2"} <= keys
    assert _verify(world).ok
    text = ring.path.read_text().splitlines()
    ring.path.write_text(text[1] + "\n")  # someone "cleans up" the old key
    audit_keys.clear_cache()
    try:
        assert any("key k1" in p for p in _verify(world).problems)
    finally:
        monkeypatch.delenv(audit_keys.KEY_FILE_ENV)
        audit_keys.clear_cache()


def test_the_audit_key_lives_outside_the_database_with_mode_0600(world: World) -> None:
    with world.factory() as s:
        url = audit.database_url(s)
    path = audit_keys.key_path(url)
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    with world.factory() as s:
        stored = " ".join(str(v) for v in s.execute(sa.text("SELECT * FROM audit_log")).all())
    key_b64 = path.read_text().split()[1]
    assert key_b64 not in stored


def test_a_direct_edit_of_a_lead_pair_is_detected(world: World, db_engine: Engine) -> None:
    """The current a session delivered is part of its record: its circuit rows are row-hashed."""
    justified = "device checked off by the cardiologist in writing"
    reasons = [{"problem": k, "reason": justified} for k in ("implanted_device_electrical", "circuit_device:circuit-1")]
    row = world.session(world.clinician, **edn_pair(), override_reasons=reasons)
    assert _verify(world).ok
    _drop_triggers(db_engine)
    with db_engine.begin() as conn:
        changed = conn.exec_driver_sql(f"UPDATE electrical_circuit SET intensity_ma = 40 WHERE session_id = {row.id}")
        assert changed.rowcount == 1
    report = _verify(world)
    assert not report.ok
    assert any(p.startswith("treatment_session ") for p in report.problems), report.problems


def test_a_signature_is_the_documented_two_step_hmac(tmp_path: Path) -> None:
    """HMAC-SHA256 under HMAC-SHA256(key, "filiform/<purpose>"), written out here with the
    standard library, for two keys and two purposes (the derived sub-keys are remembered)."""
    keys = {"k1": b"\x01" * 32, "k2": b"\x02" * 32}
    ring = audit_keys.KeyRing(tmp_path / "audit.key", keys, "k2")
    for key_id, key in keys.items():
        for purpose in ("audit-entry", "checkpoint"):
            sub = hmac.new(key, f"filiform/{purpose}".encode(), hashlib.sha256).digest()
            expected = hmac.new(sub, b"message", hashlib.sha256).hexdigest()
            for _ in range(2):
                assert ring.sign(purpose, b"message", key_id) == expected
    assert (
        ring.sign("audit-entry", b"m") == ring.sign("audit-entry", b"m", "k2") != ring.sign("audit-entry", b"m", "k1")
    )
