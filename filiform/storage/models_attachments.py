"""Files attached to a treatment session: RR-interval lists, ECG recordings, PDFs.

The bytes live in the database, not in a folder next to it, so that one backup, one
restore, one clinic-isolation rule and one audit trail cover them like every other record
(a folder would silently escape ``filiform backup`` and the permission checks).  The
table is append-only, as ``audit_log`` and ``amendment`` are: migration 0003 installs
triggers that refuse UPDATE and DELETE, so a stored recording is the recording that was
uploaded; ``sha256`` lets anyone check that later.  Files are capped at
:data:`MAX_ATTACHMENT_BYTES` (checked by the service, whose error says so).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from filiform.storage.base import Base, utcnow
from filiform.storage.vocab import ATTACHMENT_KINDS, sql_in

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


class Attachment(Base):
    """One uploaded file; ``data`` is deferred so listing a session's files never loads bytes."""

    __tablename__ = "attachment"
    __table_args__ = (
        sa.Index("ix_attachment_session_id", "session_id"),
        sa.Index("ix_attachment_patient_id", "patient_id"),
        sa.CheckConstraint(sql_in("kind", ATTACHMENT_KINDS), name="kind"),
        sa.CheckConstraint(f"size_bytes BETWEEN 0 AND {MAX_ATTACHMENT_BYTES}", name="size_bytes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"))
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("treatment_session.id"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    filename: Mapped[str] = mapped_column(sa.String(255))
    media_type: Mapped[str] = mapped_column(sa.String(127))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    uploaded_by: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
