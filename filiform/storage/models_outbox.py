"""Outgoing e-mail, queued in the request and delivered by the outbox worker.

The body holds only the clinic's name, a time and a link.  The link (with its one-time
token) is kept in ``link_url`` only until delivery, or until the message gives up, and is
then wiped: the visible outbox shows where it went, when, and whether it arrived.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from filiform.storage.base import Base, utcnow
from filiform.storage.vocab import sql_in

OUTBOX_STATES = ("queued", "sent", "failed", "cancelled")


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (
        sa.Index("ix_outbox_message_status_send_after", "status", "send_after"),
        sa.Index("ix_outbox_message_clinic_id_queued_at", "clinic_id", "queued_at"),
        sa.CheckConstraint(sql_in("status", OUTBOX_STATES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    patient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("patient.id"))
    to_address: Mapped[str] = mapped_column(sa.String(200))
    template: Mapped[str] = mapped_column(sa.String(40))
    lang: Mapped[str] = mapped_column(sa.String(8), default="en")
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    link_url: Mapped[str | None] = mapped_column(sa.Text)
    link_id: Mapped[int | None] = mapped_column(sa.ForeignKey("portal_link.id"))
    appointment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointment.id"))
    status: Mapped[str] = mapped_column(sa.String(20), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    send_after: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
