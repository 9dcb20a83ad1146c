"""Backup round trip on both databases, online and optionally encrypted."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from services_world import World

from filiform.errors import Conflict, ValidationFailed
from filiform.services.operations import backup, restore
from filiform.services.records import reads
from filiform.storage.models import Patient


def _target_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    cluster = request.getfixturevalue("pg_cluster")
    return str(cluster.create_database(f"r_{uuid.uuid4().hex[:10]}"))


@pytest.mark.parametrize("passphrase", [None, "a long backup passphrase"])
def test_backup_restore_round_trip(
    world: World, db_url: str, tmp_path: Path, request: pytest.FixtureRequest, passphrase: str | None
) -> None:
    before = world.run(reads.timeline, actor=world.clinician, patient_id=world.patient_id)
    out = tmp_path / "clinic.bk"
    header = backup.backup(db_url, out, passphrase=passphrase)
    assert header["encrypted"] is (passphrase is not None)
    if passphrase:
        assert b"Testperson" not in out.read_bytes()  # PHI canary absent from the file
    target = _target_url(db_url, tmp_path, request)
    report = restore.restore(out, target, passphrase=passphrase)
    assert report.ok and report.report.entries > 10
    from filiform.storage.engine import make_engine, session_factory, transaction

    with transaction(session_factory(make_engine(target))) as s:
        names = set(s.scalars(sa.select(Patient.family_name)))
        after = reads.timeline(s, actor=world.clinician, patient_id=world.patient_id)
    assert "Testperson" in names
    assert after.consents == before.consents


def test_wrong_passphrase_tampering_and_wrong_kind_are_refused(
    world: World, db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    out = tmp_path / "clinic.bk"
    backup.backup(db_url, out, passphrase="the right passphrase")
    target = _target_url(db_url, tmp_path, request)
    with pytest.raises(ValidationFailed, match="passphrase"):
        restore.restore(out, target, passphrase="the wrong passphrase")
    data = bytearray(out.read_bytes())
    data[-10] ^= 0xFF
    out.write_bytes(bytes(data))
    with pytest.raises(ValidationFailed):
        restore.restore(out, target, passphrase="the right passphrase")
    plain = tmp_path / "plain.bk"
    backup.backup(db_url, plain)
    if db_url.startswith("sqlite"):
        with pytest.raises(Conflict):
            restore.restore(plain, "postgresql://nobody@127.0.0.1:1/none")
