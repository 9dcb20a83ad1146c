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


class AttachmentAnalysis(Base):
    """The analysis of an uploaded recording, computed once at upload and read by every view.

    Why stored: analysing a recording takes seconds; doing it on every page view or PDF
    (inside the request's transaction) let one file stall the clinic. ``status`` is ``ok``
    (``result`` holds the analysis as JSON) or ``failed`` (``error`` says why, in words).
    Written once, never updated (revision ``pointofcare``).
    """

    __tablename__ = "attachment_analysis"
    __table_args__ = (
        sa.UniqueConstraint("attachment_id"),
        sa.Index("ix_attachment_analysis_session_id", "session_id"),
        sa.CheckConstraint("status IN ('ok', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"))
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("treatment_session.id"))
    attachment_id: Mapped[int] = mapped_column(sa.ForeignKey("attachment.id"))
    phases: Mapped[str | None] = mapped_column(sa.String(400))
    status: Mapped[str] = mapped_column(sa.String(10))
    beats: Mapped[int | None]
    duration_s: Mapped[float | None]
    result: Mapped[str | None] = mapped_column(sa.Text, deferred=True)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AttachmentWithdrawal(Base):
    """An attachment taken out of the session's record by an amendment (the bytes stay).

    A file uploaded to the wrong session, or one that cannot be read, is withdrawn with a
    reason; pages and the PDF stop showing it, the amendment history and the audit trail
    keep it (revision ``pointofcare``).
    """

    __tablename__ = "attachment_withdrawal"
    __table_args__ = (sa.UniqueConstraint("attachment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("treatment_session.id"))
    attachment_id: Mapped[int] = mapped_column(sa.ForeignKey("attachment.id"))
    amendment_id: Mapped[int] = mapped_column(sa.ForeignKey("amendment.id"))
    withdrawn_by: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    withdrawn_at: Mapped[datetime] = mapped_column(default=utcnow)
