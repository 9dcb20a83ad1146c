"""Amendments and the hash-chained audit log.

Both tables are append-only: migrations install triggers that refuse UPDATE and DELETE.
``AuditLog.detail`` is stored as the exact canonical JSON text that was hashed, so the
hash can be recomputed byte for byte on either database (a JSONB column would reorder
keys).  ``AuditHead`` holds the last (seq, hash) of each chain; it is what makes deleting
the newest rows detectable and what serialises appends to one chain.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from filiform.storage.base import Base, utcnow


class Amendment(Base):
    """``changes``: {field: {"old": value, "new": value}}; the original stays recoverable."""

    __tablename__ = "amendment"
    __table_args__ = (sa.Index("ix_amendment_entity_entity_id", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"))
    entity: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int]
    from_version: Mapped[int]
    changes: Mapped[dict[str, Any]]
    reason: Mapped[str] = mapped_column(sa.Text)
    amended_by: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    amended_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The record's author, when someone else amended it (revision ``pointofcare``).
    cosigned_by: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        sa.UniqueConstraint("chain", "seq"),
        sa.Index("ix_audit_log_at", "at"),
        sa.Index("ix_audit_log_patient_id", "patient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[int]
    seq: Mapped[int]
    at: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int | None]
    clinic_id: Mapped[int | None]
    role: Mapped[str | None] = mapped_column(sa.String(20))
    client: Mapped[str | None] = mapped_column(sa.String(80))
    action: Mapped[str] = mapped_column(sa.String(40))
    entity: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None]
    patient_id: Mapped[int | None]
    detail: Mapped[str] = mapped_column(sa.Text)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))
    # Keyed entries (migration 0004): the audit key's id (None: a plain SHA-256 entry written
    # before keys existed) and, for writes, canonical JSON {"table:id": row hash}.
    key_id: Mapped[str | None] = mapped_column(sa.String(16), default=None)
    rows: Mapped[str | None] = mapped_column(sa.Text, default=None)


class AuditHead(Base):
    __tablename__ = "audit_head"

    chain: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(sa.String(64))
    # First seq written as a keyed HMAC entry; earlier entries keep their plain SHA-256.
    keyed_from: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))


class AmendmentProposal(Base):
    """A change to someone else's signed record, waiting for its author to co-sign it.

    Why: a signed note is changed only by its author. Another clinician proposes the change
    (``changes`` holds the new values, ``{"voided": true}`` for a void); the author co-signs
    it, which applies it as an :class:`Amendment` (``amended_by`` the proposer,
    ``cosigned_by`` the author), or declines it. When the author no longer works at the
    clinic another clinician co-signs. ``outcome`` is NULL while open (revision
    ``pointofcare``).
    """

    __tablename__ = "amendment_proposal"
    __table_args__ = (
        sa.Index("ix_amendment_proposal_entity_entity_id", "entity", "entity_id"),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('cosigned', 'declined')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"))
    entity: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int]
    from_version: Mapped[int]
    changes: Mapped[dict[str, Any]]
    reason: Mapped[str] = mapped_column(sa.Text)
    proposed_by: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str | None] = mapped_column(sa.String(10))
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None]
    amendment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("amendment.id"))
