"""Session attachments: stored bytes, hash, cap, permissions, isolation, append-only, audit."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from services_world import World
from sqlalchemy.exc import DBAPIError

from filiform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from filiform.services.records import attachments
from filiform.storage.models import Attachment, AuditLog
from filiform.storage.models_attachments import MAX_ATTACHMENT_BYTES

RR = b"800\n812\n790\n805\n"


def _session(w: World, *, other: bool = False) -> int:
    actor, pid = (w.other_clinician, w.other_patient_id) if other else (w.clinician, w.patient_id)
    return int(w.session(actor, patient_id=pid).id)


def test_add_list_read_round_trip_with_hash_and_audit(world: World) -> None:
    sid = _session(world)
    row = world.run(
        attachments.add,
        actor=world.assistant,
        session_id=sid,
        kind="rr",
        filename="C:\\Users\\x\\polar rr.txt",
        media_type="Text/Plain",
        data=RR,
    )
    assert row.filename == "polar rr.txt" and row.media_type == "text/plain"
    assert row.sha256 == hashlib.sha256(RR).hexdigest() and row.size_bytes == len(RR)
    world.run(
        attachments.add,
        actor=world.clinician,
        session_id=sid,
        kind="pdf",
        filename="report.pdf",
        media_type="application/pdf",
        data=b"%PDF-1.7 x",
    )
    listed = world.run(attachments.list_for_session, actor=world.clinician, session_id=sid)
    assert [a.kind for a in listed] == ["rr", "pdf"]
    assert all(a.patient_id == world.patient_id for a in listed)
    meta, data = world.run(attachments.read, actor=world.clinician, attachment_id=row.id)
    assert data == RR and meta.sha256 == row.sha256
    with world.factory() as s:
        actions = [
            tuple(r)
            for r in s.execute(sa.select(AuditLog.action, AuditLog.detail).where(AuditLog.entity == "attachment"))
        ]
    assert [a for a, _ in actions] == ["create", "create", "list", "read"]
    assert all("polar" not in detail for _, detail in actions)  # no file names in the audit


def test_cap_kind_name_and_type_are_checked(world: World) -> None:
    sid = _session(world)

    def add(**kw: object) -> object:
        args: dict[str, object] = dict(
            actor=world.clinician,
            session_id=sid,
            kind="ecg",
            filename="a.edf",
            media_type="application/octet-stream",
            data=b"x",
        )
        args.update(kw)
        return world.run(attachments.add, **args)

    with pytest.raises(attachments.AttachmentTooLarge, match="limited to 20 MiB") as exc:
        add(data=b"\0" * (MAX_ATTACHMENT_BYTES + 1))
    assert exc.value.status == 413
    add(data=b"\0" * MAX_ATTACHMENT_BYTES)  # exactly at the cap is fine
    for bad in (dict(kind="xray"), dict(data=b""), dict(filename="../"), dict(media_type="pdf")):
        with pytest.raises(ValidationFailed):
            add(**bad)


def test_roles_and_clinic_isolation(world: World) -> None:
    sid, foreign = _session(world), _session(world, other=True)
    row = world.run(
        attachments.add,
        actor=world.clinician,
        session_id=sid,
        kind="rr",
        filename="rr.txt",
        media_type="text/plain",
        data=RR,
    )
    for actor in (world.front_desk, world.admin):
        with pytest.raises(PermissionDenied):
            world.run(
                attachments.add,
                actor=actor,
                session_id=sid,
                kind="rr",
                filename="rr.txt",
                media_type="text/plain",
                data=RR,
            )
        with pytest.raises(PermissionDenied):
            world.run(attachments.read, actor=actor, attachment_id=row.id)
    with pytest.raises(NotFound):
        world.run(
            attachments.add,
            actor=world.clinician,
            session_id=foreign,
            kind="rr",
            filename="rr.txt",
            media_type="text/plain",
            data=RR,
        )
    for call, kw in (
        (attachments.read, {"attachment_id": row.id}),
        (attachments.list_for_session, {"session_id": sid}),
    ):
        with pytest.raises(NotFound):
            world.run(call, actor=world.other_clinician, **kw)
    with pytest.raises(NotFound):
        world.run(attachments.read, actor=world.clinician, attachment_id=row.id + 999)


def test_attachments_are_append_only_and_tampering_is_detected(world: World) -> None:
    sid = _session(world)
    row = world.run(
        attachments.add,
        actor=world.clinician,
        session_id=sid,
        kind="rr",
        filename="rr.txt",
        media_type="text/plain",
        data=RR,
    )
    engine = world.factory.kw["bind"]
    for statement in ("UPDATE attachment SET data = :x", "DELETE FROM attachment"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement), {"x": b"forged"})
    with engine.begin() as conn:  # a privileged attacker drops the trigger first
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER attachment_no_update")
        else:
            conn.exec_driver_sql("DROP TRIGGER attachment_append_only ON attachment")
        conn.execute(sa.update(Attachment).values(data=b"801\n812\n790\n805\n"))
    with pytest.raises(Conflict, match="SHA-256"):
        world.run(attachments.read, actor=world.clinician, attachment_id=row.id)
