"""Appointments per clinician and each clinician's calendar-feed secret.

``starts_at`` is a UTC instant; pages show it on the clinic's clock
(:mod:`filiform.core.concepts.clock`).  An appointment links to the session recorded at
it (``session_id``) once one is; the feed token is stored as its SHA-256 only.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from filiform.storage.base import Base, utcnow
from filiform.storage.vocab import sql_in

APPOINTMENT_STATES = ("booked", "cancelled", "no_show", "attended")


class Appointment(Base):
    __tablename__ = "appointment"
    __table_args__ = (
        sa.Index("ix_appointment_clinic_id_clinician_id_starts_at", "clinic_id", "clinician_id", "starts_at"),
        sa.Index("ix_appointment_patient_id", "patient_id"),
        sa.CheckConstraint(sql_in("status", APPOINTMENT_STATES), name="status"),
        sa.CheckConstraint("minutes BETWEEN 5 AND 480", name="minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"))
    clinician_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    starts_at: Mapped[datetime]
    minutes: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(20), default="booked")
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("treatment_session.id"))
    reminded_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarFeed(Base):
    """A clinician's iCalendar subscription secret (revocable; a new one replaces the old)."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
