"""Files attached to a treatment session (RR lists, ECG recordings, PDFs), stored in the DB.

Why here and not in a folder: the bytes then share the records' backup, clinic isolation,
permissions and audit trail.  Rules:

* adding needs ``WRITE_CLINICAL`` (clinicians and assistants upload recordings), listing
  and reading need ``READ_CLINICAL``; a session or attachment of another clinic is
  ``NotFound`` (ids cannot be probed);
* ``kind`` is one of ``rr``, ``ecg``, ``pdf``, ``other``; a file is at most
  :data:`MAX_ATTACHMENT_BYTES` (20 MiB), refused with :class:`AttachmentTooLarge` (413);
* the SHA-256 is computed here, stored, and checked again on every read, so a corrupted
  or altered blob is reported instead of being served as the original;
* rows are never updated or deleted (database triggers), every add, list and read is
  audited with ids and the hash only, never the file name (it may carry PHI).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import Conflict, ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import owned
from filiform.services.operations import audit
from filiform.services.records.writes import add_record
from filiform.storage.models import Attachment, TreatmentSession
from filiform.storage.models_attachments import MAX_ATTACHMENT_BYTES
from filiform.storage.vocab import ATTACHMENT_KINDS

MAX_FILENAME = 255


class AttachmentTooLarge(ValidationFailed):
    """The file exceeds the attachment cap (HTTP 413 for the faces)."""

    status = 413
    code = "attachment_too_large"


@dataclass(frozen=True)
class AttachmentMeta:
    """What a list or a read returns about a file (no bytes)."""

    id: int
    session_id: int
    patient_id: int
    kind: str
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    uploaded_by: int
    uploaded_at: datetime

    @classmethod
    def of(cls, row: Attachment) -> AttachmentMeta:
        return cls(
            row.id,
            row.session_id,
            row.patient_id,
            row.kind,
            row.filename,
            row.media_type,
            row.size_bytes,
            row.sha256,
            row.uploaded_by,
            row.uploaded_at,
        )


def _clean_filename(filename: str) -> str:
    """Keep the last path component only; browsers and tools send full client paths."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in (".", ".."):
        raise ValidationFailed("an attachment needs a file name")
    if len(name) > MAX_FILENAME or any(ord(c) < 32 for c in name):
        raise ValidationFailed(f"file name must be printable and at most {MAX_FILENAME} characters")
    return name


def _check_media_type(media_type: str) -> str:
    value = media_type.strip().lower()
    main, _, sub = value.partition("/")
    if not main or not sub or len(value) > 127 or " " in value:
        raise ValidationFailed(f"'{media_type}' is not a media type (like text/csv)")
    return value


def add(
    session: Session,
    *,
    actor: Actor,
    session_id: int,
    kind: str,
    filename: str,
    media_type: str,
    data: bytes,
) -> Attachment:
    """Store one file for a treatment session of the actor's clinic (audited)."""
    require(actor, Perm.WRITE_CLINICAL)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentTooLarge(
            f"the file is {len(data) / 1048576:.1f} MiB; attachments are limited to "
            f"{MAX_ATTACHMENT_BYTES // 1048576} MiB"
        )
    treatment = owned(session, TreatmentSession, session_id, actor=actor)
    if kind not in ATTACHMENT_KINDS:
        raise ValidationFailed(f"attachment kind must be one of {', '.join(ATTACHMENT_KINDS)}")
    if not data:
        raise ValidationFailed("the file is empty")
    row = Attachment(
        clinic_id=actor.clinic_id,
        patient_id=treatment.patient_id,
        session_id=treatment.id,
        kind=kind,
        filename=_clean_filename(filename),
        media_type=_check_media_type(media_type),
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=bytes(data),
        uploaded_by=actor.user_id,
    )
    detail = {"session_id": treatment.id, "kind": kind, "size": row.size_bytes, "sha256": row.sha256}
    return add_record(session, actor, row, "attachment", detail)


def list_for_session(session: Session, *, actor: Actor, session_id: int) -> list[AttachmentMeta]:
    """The session's files, oldest first, without their bytes (audited read)."""
    require(actor, Perm.READ_CLINICAL)
    treatment = owned(session, TreatmentSession, session_id, actor=actor)
    rows = session.scalars(
        sa.select(Attachment)
        .where(Attachment.session_id == treatment.id, Attachment.clinic_id == actor.clinic_id)
        .order_by(Attachment.uploaded_at, Attachment.id)
    ).all()
    audit.record(
        session,
        actor=actor,
        action="list",
        entity="attachment",
        entity_id=treatment.id,
        patient_id=treatment.patient_id,
        detail={"session_id": treatment.id, "attachments": [r.id for r in rows]},
    )
    return [AttachmentMeta.of(r) for r in rows]


def read(session: Session, *, actor: Actor, attachment_id: int) -> tuple[AttachmentMeta, bytes]:
    """One file and its metadata; the stored SHA-256 is checked before it is returned."""
    require(actor, Perm.READ_CLINICAL)
    row = owned(session, Attachment, attachment_id, actor=actor)  # bytes load only after this
    data = bytes(row.data)
    if hashlib.sha256(data).hexdigest() != row.sha256 or len(data) != row.size_bytes:
        raise Conflict(f"attachment {attachment_id} does not match its stored SHA-256; restore it from a backup")
    audit.record(
        session,
        actor=actor,
        action="read",
        entity="attachment",
        entity_id=row.id,
        patient_id=row.patient_id,
        detail={"session_id": row.session_id},
    )
    return AttachmentMeta.of(row), data
