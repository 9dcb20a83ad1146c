"""Clinics, their users and their patients.

Every patient-bearing row carries ``clinic_id`` so that services can scope each query to
the acting user's clinic with one indexed predicate (isolation is never left to the UI).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from filiform.storage.base import Base, utcnow
from filiform.storage.vocab import ROLES, sql_in


class Clinic(Base):
    __tablename__ = "clinic"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class User(Base):
    """A person who logs in; ``password_hash`` is an argon2id PHC string."""

    __tablename__ = "app_user"
    __table_args__ = (sa.CheckConstraint(sql_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    username: Mapped[str] = mapped_column(sa.String(120), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(20))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by an administrator's reset: the next login must choose a new password first.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Patient(Base):
    """Demographics only; everything clinical hangs off ``patient.id``."""

    __tablename__ = "patient"
    __table_args__ = (
        sa.UniqueConstraint("clinic_id", "mrn"),
        sa.Index("ix_patient_clinic_id_family_name", "clinic_id", "family_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    mrn: Mapped[str] = mapped_column(sa.String(40))
    given_name: Mapped[str] = mapped_column(sa.String(120))
    family_name: Mapped[str] = mapped_column(sa.String(120))
    birth_date: Mapped[date]
    sex: Mapped[str] = mapped_column(sa.String(20))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Every name, telecom, address and identifier a source sent beyond the columns above
    # (``core/concepts/contact.py``); empty for a patient registered here.
    contact: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RecordVersion(Base):
    """A counter per patient that every write to the patient's record moves forward.

    Written only by database triggers (migration ``0012_pagecache``): an insert, update or
    delete of the patient, of any row carrying the patient's id (audit entries, form
    drafts and the mail queue excepted), of a session's needles, circuits, overrides and
    withdrawals, and a change of a user's display name (saved plans show it) for every
    patient of that user's clinic.  Triggers see every writer (the server, a CLI in
    another process, a bulk import, a raw SQL fix), so a cache keyed by this number is
    never stale.  The row outlives its patient (a deleted patient's id keeps counting
    up), so a reused id never meets an old number.
    """

    __tablename__ = "record_version"

    patient_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int]
