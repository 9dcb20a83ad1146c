"""``audit verify`` names each problem exactly: which chain, which entry, what happened.

Each test damages the log the way an attacker with database access would (the append-only
triggers dropped first) and compares the whole problem list with messages written out
here.  Entry positions come from reading the stored rows, never from the verifier.  A
chain written before migration 0004 (plain SHA-256 entries, then keyed ones from
``keyed_from``) is built by hand with the old algorithm written out below.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import sqlalchemy as sa
from services_world import World
from sqlalchemy.engine import Engine

from filiform.services.operations import audit, checkpoint
from filiform.storage.models import AuditHead, AuditLog

OLD = 77  # a chain of an older clinic: three plain entries, keyed from seq 4
GENESIS = "0" * 64


def _drop_guards(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")


def _plain(row: dict[str, object]) -> str:
    """Release 0003's entry hash: SHA-256 of the canonical JSON of 13 fields."""
    names: tuple[str, ...] = ("chain", "seq", "at", "user_id", "clinic_id", "role", "client", "action", "entity")
    names += ("entity_id", "patient_id", "detail", "prev_hash")
    text = json.dumps({n: row[n] for n in names}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _old_chain(world: World, db_engine: Engine) -> dict[int, int]:
    """Chain OLD: seq 1-3 plain (as migrated), seq 4-5 keyed by the current writer; seq -> id."""
    prev = GENESIS
    with db_engine.begin() as conn:
        for seq in (1, 2, 3):
            row: dict[str, object] = {
                "chain": OLD,
                "seq": seq,
                "at": f"2026-01-05T10:00:0{seq}.000000+00:00",
                "user_id": None,
                "clinic_id": None,
                "role": None,
                "client": None,
                "action": "read",
                "entity": "dashboard",
                "entity_id": seq,
                "patient_id": None,
                "detail": "{}",
                "prev_hash": prev,
            }
            row["hash"] = prev = _plain(row)
            conn.execute(sa.insert(AuditLog).values(**row))
        conn.execute(sa.insert(AuditHead).values(chain=OLD, seq=3, hash=prev, keyed_from=4))
    for n in (4, 5):
        world.run(audit.record, actor=None, action="read", entity="dashboard", entity_id=n, chain=OLD)
    with world.factory() as s:
        return dict(
            (int(q), int(i))
            for q, i in s.execute(sa.select(AuditLog.seq, AuditLog.id).where(AuditLog.chain == OLD)).all()
        )


def _report(world: World, **kw: object) -> audit.VerifyReport:
    with world.factory() as s:
        return audit.verify(s, **kw)  # type: ignore[arg-type]


def _sql(db_engine: Engine, statement: str) -> None:
    with db_engine.begin() as conn:
        assert conn.exec_driver_sql(statement).rowcount == 1


def _entries(world: World, chain: int) -> list[tuple[int, int, str | None]]:
    """(seq, id, rows) of a chain in seq order, as stored."""
    with world.factory() as s:
        stmt = sa.select(AuditLog.seq, AuditLog.id, AuditLog.rows).where(AuditLog.chain == chain).order_by(AuditLog.seq)
        return [(int(q), int(i), r) for q, i, r in s.execute(stmt).all()]


def test_a_migrated_chain_verifies_and_its_entries_are_counted(world: World, db_engine: Engine) -> None:
    _old_chain(world, db_engine)
    with world.factory() as s:
        entries = int(s.scalar(sa.select(sa.func.count()).select_from(AuditLog)) or 0)
        chains = int(s.scalar(sa.select(sa.func.count()).select_from(AuditHead)) or 0)
    report = _report(world, rows=False)
    assert (report.problems, report.entries, report.chains, report.checkpoint) == ((), entries, chains, "none")
    assert report.ok


def test_an_edited_plain_entry_is_named(world: World, db_engine: Engine) -> None:
    ids = _old_chain(world, db_engine)
    _drop_guards(db_engine)
    _sql(db_engine, f"UPDATE audit_log SET entity_id = 99 WHERE chain = {OLD} AND seq = 2")
    assert _report(world, rows=False).problems == (
        f"chain {OLD} seq 2 (id {ids[2]}): content does not match its hash (entry edited)",
    )


def test_moving_the_keyed_boundary_either_way_is_named_at_the_entry(world: World, db_engine: Engine) -> None:
    ids = _old_chain(world, db_engine)
    out_of_place = "keyed and plain entries out of place (keyed_from or key_id altered)"
    _sql(db_engine, f"UPDATE audit_head SET keyed_from = 5 WHERE chain = {OLD}")
    assert _report(world, rows=False).problems == (f"chain {OLD} seq 4 (id {ids[4]}): {out_of_place}",)
    _sql(db_engine, f"UPDATE audit_head SET keyed_from = 3 WHERE chain = {OLD}")
    assert _report(world, rows=False).problems == (f"chain {OLD} seq 3 (id {ids[3]}): {out_of_place}",)


def test_a_keyed_from_that_is_not_a_sequence_number_is_named(world: World, db_engine: Engine) -> None:
    chain = world.clinician.clinic_id
    _sql(db_engine, f"UPDATE audit_head SET keyed_from = 0 WHERE chain = {chain}")
    assert _report(world, rows=False).problems == (f"chain {chain}: keyed_from 0 is not a sequence number",)


def test_an_entry_signed_with_a_key_not_in_the_key_file_is_named(world: World, db_engine: Engine) -> None:
    chain = world.clinician.clinic_id
    seq, row_id, _ = _entries(world, chain)[1]
    _drop_guards(db_engine)
    _sql(db_engine, f"UPDATE audit_log SET key_id = 'k9' WHERE id = {row_id}")
    assert _report(world, rows=False).problems == (
        f"chain {chain} seq {seq} (id {row_id}): signed with key k9, which the audit key file does not hold",
    )


def test_an_edited_keyed_entry_is_named_and_nothing_else(world: World, db_engine: Engine) -> None:
    chain = world.clinician.clinic_id
    seq, row_id, _ = _entries(world, chain)[2]
    _drop_guards(db_engine)
    _sql(db_engine, f"UPDATE audit_log SET client = '10.6.6.6' WHERE id = {row_id}")
    assert _report(world, rows=False).problems == (
        f"chain {chain} seq {seq} (id {row_id}): content does not match its HMAC (entry edited)",
    )


def test_a_deleted_entry_in_the_middle_is_named_at_the_next_one(world: World, db_engine: Engine) -> None:
    chain = world.clinician.clinic_id
    entries = _entries(world, chain)
    (gone_seq, gone_id, _), (next_seq, next_id, _) = entries[1], entries[2]
    _drop_guards(db_engine)
    _sql(db_engine, f"DELETE FROM audit_log WHERE id = {gone_id}")
    where = f"chain {chain} seq {next_seq} (id {next_id})"
    assert _report(world, rows=False).problems == (
        f"{where}: expected seq {gone_seq}: entries missing or reordered",
        f"{where}: previous-hash link broken (deleted or altered entry)",
    )


def test_deleting_the_newest_entry_or_altering_the_head_hash_is_named(world: World, db_engine: Engine) -> None:
    chain = world.clinician.clinic_id
    entries = _entries(world, chain)
    last_seq, last_id, _ = entries[-1]
    _drop_guards(db_engine)
    _sql(db_engine, f"UPDATE audit_head SET hash = '{'f' * 64}' WHERE chain = {chain}")
    message = (
        f"chain {chain}: head says seq {last_seq} but the log ends at {last_seq}: "
        "newest entries deleted or head altered"
    )
    assert _report(world, rows=False).problems == (message,)
    _sql(db_engine, f"DELETE FROM audit_log WHERE id = {last_id}")
    assert _report(world, rows=False).problems == (
        f"chain {chain}: head says seq {last_seq} but the log ends at {last_seq - 1}: "
        "newest entries deleted or head altered",
    )


def test_entries_whose_chain_head_is_gone_are_named_and_not_counted(world: World, db_engine: Engine) -> None:
    ids = _old_chain(world, db_engine)
    before = _report(world, rows=False)
    _sql(db_engine, f"DELETE FROM audit_head WHERE chain = {OLD}")
    report = _report(world, rows=False)
    assert report.problems == (f"chain {OLD}: entries without a chain head",)
    assert (report.chains, report.entries) == (before.chains - 1, before.entries - len(ids))


def test_problems_in_two_chains_come_in_chain_order(world: World, db_engine: Engine) -> None:
    a, b = world.clinician.clinic_id, world.other_clinician.clinic_id
    assert a < b
    _sql(db_engine, f"UPDATE audit_head SET keyed_from = 0 WHERE chain = {b}")
    _sql(db_engine, f"UPDATE audit_head SET keyed_from = 0 WHERE chain = {a}")
    assert _report(world, rows=False).problems == (
        f"chain {a}: keyed_from 0 is not a sequence number",
        f"chain {b}: keyed_from 0 is not a sequence number",
    )


def _latest_write(world: World, table: str, row_id: int) -> str:
    """Where the newest entry that wrote ``table:row_id`` sits (read from the stored rows)."""
    found = ""
    for chain in (world.clinician.clinic_id, world.other_clinician.clinic_id):
        for seq, entry_id, rows in _entries(world, chain):
            if rows and f"{table}:{row_id}" in json.loads(rows):
                found = f"chain {chain} seq {seq} (id {entry_id})"
    assert found
    return found


def test_a_clinical_row_edited_or_deleted_outside_is_named_with_its_entry(world: World, db_engine: Engine) -> None:
    pid, other = world.patient_id, world.other_patient_id
    with world.factory() as s:
        written = {
            k
            for (r,) in s.execute(sa.select(AuditLog.rows).where(AuditLog.rows.is_not(None)))
            for k in json.loads(r or "{}")
        }
    assert f"patient:{pid}" in written
    clean = _report(world)
    assert clean.ok and clean.rows_checked == len(written)
    _sql(db_engine, f"UPDATE patient SET given_name = 'Eve' WHERE id = {other}")
    _sql(db_engine, f"UPDATE patient SET family_name = 'Changed' WHERE id = {pid}")
    assert _report(world, rows=False).ok  # the chains alone are intact
    first, second = sorted((pid, other))
    assert _report(world).problems == tuple(
        f"patient {n}: changed outside Filiform (does not match {_latest_write(world, 'patient', n)})"
        for n in (first, second)
    )
    consent_id = min(int(k.split(":")[1]) for k in written if k.startswith("consent:"))
    _drop_consent_guards(db_engine)
    _sql(db_engine, f"DELETE FROM consent WHERE id = {consent_id}")
    deleted = f"consent {consent_id}: deleted (written as recorded in {_latest_write(world, 'consent', consent_id)})"
    assert _report(world).problems == (
        deleted,
        *(
            f"patient {n}: changed outside Filiform (does not match {_latest_write(world, 'patient', n)})"
            for n in (first, second)
        ),
    )


def _drop_consent_guards(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            for name in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'consent'"
            ).scalars():
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            for name in conn.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'consent'::regclass AND NOT tgisinternal"
            ).scalars():
                conn.exec_driver_sql(f"DROP TRIGGER {name} ON consent")


def test_an_entry_naming_a_table_this_version_does_not_know_is_reported(world: World, db_engine: Engine) -> None:
    rows = json.dumps({"a_retired_table:3": "0" * 64})  # sorts before every real table
    with world.factory() as s, s.begin():
        entry = audit.pending(actor=world.clinician, action="update", entity="retired", entity_id=3, rows=rows)
        audit.append(s, entry)
    assert _report(world).problems == ("a_retired_table: the audit names a table this version does not know",)
    assert _report(world, rows=False).ok
    _sql(db_engine, f"UPDATE patient SET given_name = 'Eve' WHERE id = {world.patient_id}")
    assert _report(world).problems == (  # the tables after it are still checked
        "a_retired_table: the audit names a table this version does not know",
        f"patient {world.patient_id}: changed outside Filiform "
        f"(does not match {_latest_write(world, 'patient', world.patient_id)})",
    )


def test_the_report_says_which_checkpoint_it_checked(world: World) -> None:
    with world.factory() as s, s.begin():
        path = checkpoint.write(s, audit.database_url(s))
    doc = json.loads(Path(path).read_text())
    stamp = doc["body"]["written_at"]
    assert _report(world, rows=False).checkpoint == f"checkpoint of {stamp}"
    assert _report(world, rows=False, anchor=doc).checkpoint == f"backup's checkpoint of {stamp}"
    assert _report(world, rows=False, anchor=None).checkpoint == "none"
    forged = _report(world, rows=False, anchor={"body": "not a body", "key_id": "k1", "mac": "x"})
    assert (forged.checkpoint, forged.problems) == (
        "backup's checkpoint of ?",
        ("backup's checkpoint is not signed with the audit key (forged, damaged, or the key file was replaced)",),
    )
    assert _report(world, rows=False, anchor={"body": {}}).checkpoint == "backup's checkpoint of ?"
    Path(path).write_text("{damaged")
    damaged = _report(world, rows=False)
    assert (damaged.checkpoint, damaged.problems) == (
        "checkpoint of ?",
        ("checkpoint is not signed with the audit key (forged, damaged, or the key file was replaced)",),
    )
