"""Issue 19 items 2, 6, 8: signed backups and a restore that verifies first, refuses a
live or non-empty database without --force, and keeps a pre-restore copy."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from services_world import World

from filiform.errors import Conflict, ValidationFailed
from filiform.services.operations import backup, restore, server_lock
from filiform.storage.engine import make_engine
from filiform.storage.models import Patient


def _second_db(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'other.db'}"
    return str(request.getfixturevalue("pg_cluster").create_database(f"r_{uuid.uuid4().hex[:10]}"))


def _rewrite_payload(path: Path, edit: bytes, replacement: bytes) -> None:
    """Edit a plain backup and recompute its SHA-256, as an attacker without the key can."""
    magic, header_line, payload = path.read_bytes().split(b"\n", 2)
    assert edit in payload
    payload = payload.replace(edit, replacement, 1)
    header = json.loads(header_line)
    header["sha256"] = hashlib.sha256(payload).hexdigest()
    path.write_bytes(magic + b"\n" + json.dumps(header, sort_keys=True).encode() + b"\n" + payload)


def test_an_edited_backup_with_a_recomputed_checksum_is_refused(world: World, db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("editing a pg_dump archive in place is format-specific; the signature check is the same")
    out = tmp_path / "plain.bk"
    backup.backup(db_url, out)
    _rewrite_payload(out, b"Testperson", b"Testpersoo")
    with pytest.raises(ValidationFailed, match="signature"):
        restore.restore(out, f"sqlite:///{tmp_path / 'new.db'}")
    assert not (tmp_path / "new.db").exists()  # nothing was written


def test_restore_refuses_a_non_empty_target_then_force_keeps_a_copy(
    world: World, db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    out = tmp_path / "clinic.bk"
    backup.backup(db_url, out)
    with pytest.raises(Conflict, match="--force"):
        restore.restore(out, db_url)
    result = restore.restore(out, db_url, force=True)
    assert result.ok and result.pre_restore is not None and result.pre_restore.exists()
    header, _ = backup.read_header(result.pre_restore)
    assert header["kind"] == ("sqlite" if db_url.startswith("sqlite") else "pg_dump")
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert "Testperson" in set(conn.scalars(sa.select(Patient.family_name)))
    engine.dispose()


def test_restore_is_refused_while_an_application_holds_the_database(world: World, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "clinic.bk"
    backup.backup(db_url, out)
    engine = make_engine(db_url)
    lease = server_lock.hold_for_application(db_url, engine)
    try:
        with pytest.raises(server_lock.DatabaseBusy, match="stop the server"):
            restore.restore(out, db_url, force=True)
    finally:
        lease.release()
        engine.dispose()
    assert restore.restore(out, db_url, force=True).ok  # released: now it may


def test_an_application_cannot_start_during_a_restore(world: World, db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with server_lock.exclusive(db_url, engine), pytest.raises(server_lock.DatabaseBusy, match="restore"):
            server_lock.hold_for_application(db_url, engine)
    finally:
        engine.dispose()


def test_restore_over_a_corrupted_sqlite_file(world: World, db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("a damaged file is a SQLite matter")
    out = tmp_path / "clinic.bk"
    backup.backup(db_url, out)
    target = tmp_path / "damaged.db"
    target.write_bytes(b"this is not a database" * 500)
    with pytest.raises(Conflict):
        restore.restore(out, f"sqlite:///{target}")
    result = restore.restore(out, f"sqlite:///{target}", force=True)
    assert result.ok and result.pre_restore is not None
    assert result.pre_restore.read_bytes().startswith(b"this is not a database")


def test_a_backup_whose_audit_does_not_verify_never_replaces_anything(
    world: World, db_url: str, tmp_path: Path
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL restores in one transaction and verifies after; SQLite verifies the copy first")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        conn.exec_driver_sql("UPDATE audit_log SET action = 'forged' WHERE id = 3")
    engine.dispose()
    out = tmp_path / "tampered.bk"
    backup.backup(db_url, out)
    target = tmp_path / "target.db"
    with pytest.raises(ValidationFailed, match="audit trail does not verify"):
        restore.restore(out, f"sqlite:///{target}")
    assert not target.exists() or target.stat().st_size == 0


def test_an_unsigned_backup_from_the_previous_release_needs_consent(world: World, db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the header format is the same on both databases")
    out = tmp_path / "old.bk"
    backup.backup(db_url, out)
    magic, header_line, payload = out.read_bytes().split(b"\n", 2)
    header = {k: v for k, v in json.loads(header_line).items() if k not in ("mac", "key_id", "audit_checkpoint")}
    out.write_bytes(magic + b"\n" + json.dumps(header, sort_keys=True).encode() + b"\n" + payload)
    with pytest.raises(ValidationFailed, match="--allow-unsigned"):
        restore.restore(out, f"sqlite:///{tmp_path / 'a.db'}")
    assert restore.restore(out, f"sqlite:///{tmp_path / 'a.db'}", allow_unsigned=True).ok


def test_the_backup_header_carries_the_signed_chain_heads(world: World, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "clinic.bk"
    header = backup.backup(db_url, out)
    heads = header["audit_checkpoint"]["body"]["heads"]
    assert str(world.clinician.clinic_id) in heads and heads[str(world.clinician.clinic_id)]["seq"] > 0
    assert isinstance(header["mac"], str) and header["key_id"].startswith("k")
