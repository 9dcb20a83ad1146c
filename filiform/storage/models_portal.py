"""What patients do through their link: the link itself, proposed intakes, e-consents,
their reports of a delayed reaction, and the home-measure schedule.

Nothing here is a clinical answer yet: an ``IntakeProposal`` becomes a ``Screening`` only
when a clinician confirms it (``screening_id`` then points at it and ``differences`` keeps
what the clinician changed); a ``PatientReport`` becomes an ``AdverseEvent`` only when a
clinician records one.  Link and session tokens are stored as SHA-256 hashes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from filiform.storage.base import Base, utcnow
from filiform.storage.vocab import sql_in

PROPOSAL_STATES = ("proposed", "confirmed", "set_aside")
REPORT_KINDS = (
    "soreness_beyond_48h",
    "bruising",
    "dizziness_or_fainting",
    "chest_or_breathing",
    "numbness_or_weakness",
    "redness_swelling_fever",
    "other",
)


class PortalLink(Base):
    """A one-time, expiring link for one patient, bound to the forms it was sent for.

    ``forms`` lists them (``intake``, ``drawing``, ``consent``, ``aftercare``,
    ``measure:<instrument>``); ``detail`` holds what they need (techniques for the consent,
    condition for the handout); ``done`` lists the forms completed.
    """

    __tablename__ = "portal_link"
    __table_args__ = (sa.Index("ix_portal_link_patient_id", "patient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    forms: Mapped[list[Any]]
    detail: Mapped[dict[str, Any]]
    done: Mapped[list[Any]]
    dob_check: Mapped[bool] = mapped_column(default=False)
    lang: Mapped[str | None] = mapped_column(sa.String(8))
    appointment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointment.id"))
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]
    session_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    session_seen_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    failed_checks: Mapped[int] = mapped_column(default=0)


class IntakeProposal(Base):
    """The patient's answers, as given; a proposal until a clinician confirms it."""

    __tablename__ = "intake_proposal"
    __table_args__ = (
        sa.Index("ix_intake_proposal_clinic_id_status", "clinic_id", "status"),
        sa.Index("ix_intake_proposal_patient_id", "patient_id"),
        sa.CheckConstraint(sql_in("status", PROPOSAL_STATES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"))
    # None when the proposal came from a FHIR import rather than the patient's portal link
    link_id: Mapped[int | None] = mapped_column(sa.ForeignKey("portal_link.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    answers: Mapped[dict[str, Any]]
    notes: Mapped[dict[str, Any]]
    medicines: Mapped[str | None] = mapped_column(sa.Text)
    allergies: Mapped[str | None] = mapped_column(sa.Text)
    drawing: Mapped[list[Any] | None]
    drawn_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(sa.String(20), default="proposed")
    reviewed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    reviewed_at: Mapped[datetime | None]
    screening_id: Mapped[int | None] = mapped_column(sa.ForeignKey("screening.id"))
    drawing_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pain_drawing.id"))
    differences: Mapped[list[Any] | None]
    review_note: Mapped[str | None] = mapped_column(sa.Text)


class EConsent(Base):
    """A consent signed through a link: the exact text version, the name typed, the drawn
    signature (strokes), the PDF as signed; ``consent_id`` is the consent record it made."""

    __tablename__ = "e_consent"
    __table_args__ = (sa.Index("ix_e_consent_patient_id", "patient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"))
    link_id: Mapped[int] = mapped_column(sa.ForeignKey("portal_link.id"))
    consent_id: Mapped[int] = mapped_column(sa.ForeignKey("consent.id"))
    text_version: Mapped[str] = mapped_column(sa.String(40))
    text_sha256: Mapped[str] = mapped_column(sa.String(64))
    techniques: Mapped[list[Any]]
    typed_name: Mapped[str] = mapped_column(sa.String(200))
    signature: Mapped[list[Any]]
    signed_at: Mapped[datetime]
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64))
    withdrawn_at: Mapped[datetime | None]


class PatientReport(Base):
    """A delayed reaction reported by the patient; ``adverse_event_id`` once a clinician records it."""

    __tablename__ = "patient_report"
    __table_args__ = (
        sa.Index("ix_patient_report_clinic_id_reported_at", "clinic_id", "reported_at"),
        sa.Index("ix_patient_report_patient_id", "patient_id"),
        sa.CheckConstraint(sql_in("kind", REPORT_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"))
    link_id: Mapped[int] = mapped_column(sa.ForeignKey("portal_link.id"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    started_on: Mapped[date]
    description: Mapped[str | None] = mapped_column(sa.Text)
    urgent: Mapped[bool] = mapped_column(default=False)
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    reviewed_at: Mapped[datetime | None]
    adverse_event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("adverse_event.id"))


class MeasureSchedule(Base):
    """When to send home questionnaires: on the plan's re-evaluation dates and after every
    Nth session.  ``served`` lists the occasions already sent (``date:2026-05-01``,
    ``session:6``) so a tick never sends one twice."""

    __tablename__ = "measure_schedule"
    __table_args__ = (
        sa.Index("ix_measure_schedule_clinic_id", "clinic_id"),
        sa.CheckConstraint("every_n_sessions IS NULL OR every_n_sessions BETWEEN 1 AND 50", name="every_n"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"))
    instruments: Mapped[list[Any]]
    due_dates: Mapped[list[Any]]
    every_n_sessions: Mapped[int | None]
    served: Mapped[list[Any]]
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
