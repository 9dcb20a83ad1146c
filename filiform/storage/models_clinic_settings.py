"""A clinic's own settings: time zone and contact details (table ``clinic_settings``).

Kept beside ``clinic`` rather than in it so a clinic created by any path gets its row on
first use (``services.records.clinic_settings.settings_of``), and every older database
gets one per clinic from migration ``0007_portal``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from filiform.storage.base import Base, utcnow


class ClinicSettings(Base):
    """``timezone`` is an IANA key; contact details appear on the portal, handouts and PDFs."""

    __tablename__ = "clinic_settings"
    __table_args__ = (
        sa.CheckConstraint("link_hours BETWEEN 1 AND 720", name="link_hours"),
        sa.CheckConstraint("reminder_hours BETWEEN 1 AND 168", name="reminder_hours"),
    )

    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), primary_key=True, autoincrement=False)
    timezone: Mapped[str] = mapped_column(sa.String(64))
    address: Mapped[str | None] = mapped_column(sa.Text)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    calendar_names: Mapped[bool] = mapped_column(default=False)
    link_hours: Mapped[int] = mapped_column(default=72)
    reminder_hours: Mapped[int] = mapped_column(default=24)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
