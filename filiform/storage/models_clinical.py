"""Clinical records: consent, screening, episodes, drawings, sessions, events, outcomes.

Rows are written once and changed only through an amendment (``models_audit.Amendment``)
that keeps the previous values; ``version`` counts amendments and guards against stale
edits.  Indexes lead with ``patient_id`` (timeline) or ``clinic_id`` + time (dashboard) so
that both stay flat as a clinic grows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from filiform.core.concepts.circuit import DURATION_S, FREQUENCY_HZ, INTENSITY_MA, PULSE_WIDTH_US
from filiform.storage.base import Base, utcnow
from filiform.storage.vocab import (
    AE_ACTIONS,
    AE_CAUSALITY,
    AE_ONSETS,
    AE_TYPES,
    SEVERITIES,
    SIDES,
    sql_in,
)


class _PatientRecord:
    """Columns every clinical record shares."""

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"))
    version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Consent(_PatientRecord, Base):
    __tablename__ = "consent"
    __table_args__ = (sa.Index("ix_consent_patient_id", "patient_id"),)

    form_version: Mapped[str] = mapped_column(sa.String(40))
    consented_on: Mapped[date]
    obtained_by: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    withdrawn_on: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(sa.Text)


class Screening(_PatientRecord, Base):
    """Answers and the engine's decision, frozen as JSON at the time of screening."""

    __tablename__ = "screening"
    __table_args__ = (sa.Index("ix_screening_patient_id_screened_at", "patient_id", "screened_at"),)

    screened_at: Mapped[datetime]
    answers: Mapped[dict[str, Any]]
    decision: Mapped[dict[str, Any]]
    engine_version: Mapped[str | None] = mapped_column(sa.String(40))


class Episode(_PatientRecord, Base):
    __tablename__ = "episode"
    __table_args__ = (sa.Index("ix_episode_patient_id", "patient_id"),)

    condition: Mapped[str] = mapped_column(sa.String(200))
    icd10_codes: Mapped[list[Any]]
    plan: Mapped[str | None] = mapped_column(sa.Text)
    opened_on: Mapped[date]
    closed_on: Mapped[date | None]


class PainDrawingRecord(_PatientRecord, Base):
    """``regions``: list of {"region": atlas id, "intensity": 1-10} plus, when not the
    default, "kind" (symptom kind), "depth" (surface/deep) and "coverage" (0-1).

    Written and read through :class:`filiform.core.concepts.DrawnRegion` (``stored_regions``
    / ``read_regions``). Atlas-2 ids since revision ``bodychart``.
    """

    __tablename__ = "pain_drawing"
    __table_args__ = (sa.Index("ix_pain_drawing_patient_id_drawn_on", "patient_id", "drawn_on"),)

    episode_id: Mapped[int | None] = mapped_column(sa.ForeignKey("episode.id"))
    drawn_on: Mapped[date]
    regions: Mapped[list[Any]]


class TreatmentSession(_PatientRecord, Base):
    """One needling session, fixed to what it was done under.

    ``consent_id``, ``screening_id``, ``drawing_id`` and ``plan`` (the plan's reference and
    the ranges and caps it gave, as JSON) name the records in force when it was signed, so
    its note never shows a later drawing or plan. Each safety problem overridden at saving
    is a :class:`SessionOverride` row; ``override_justification`` is the single reason of
    sessions recorded before revision ``pointofcare`` (those also have ``plan`` NULL).
    ``voided_at`` is set by a void amendment; ``form_key`` makes a repeated save of the
    same form return the first session instead of a second one.
    """

    __tablename__ = "treatment_session"
    __table_args__ = (
        sa.Index("ix_treatment_session_patient_id_started_at", "patient_id", "started_at"),
        sa.Index("ix_treatment_session_clinic_id_started_at", "clinic_id", "started_at"),
        sa.Index("ix_treatment_session_clinic_id_form_key", "clinic_id", "form_key", unique=True),
        sa.CheckConstraint("pain_pre BETWEEN 0 AND 10", name="pain_pre"),
        sa.CheckConstraint("pain_post BETWEEN 0 AND 10", name="pain_post"),
    )

    episode_id: Mapped[int | None] = mapped_column(sa.ForeignKey("episode.id"))
    clinician_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    consent_id: Mapped[int] = mapped_column(sa.ForeignKey("consent.id"))
    screening_id: Mapped[int] = mapped_column(sa.ForeignKey("screening.id"))
    started_at: Mapped[datetime]
    pain_pre: Mapped[int | None]
    pain_post: Mapped[int | None]
    patient_response: Mapped[str | None] = mapped_column(sa.Text)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    override_justification: Mapped[str | None] = mapped_column(sa.Text)
    # Revision ``pointofcare``: NULL on sessions recorded before it.
    drawing_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pain_drawing.id"))
    plan: Mapped[dict[str, Any] | None]
    ultrasound_guided: Mapped[bool | None]
    recorded_zone: Mapped[str | None] = mapped_column(sa.String(64))
    voided_at: Mapped[datetime | None]
    form_key: Mapped[str | None] = mapped_column(sa.String(64))

    insertions: Mapped[list[InsertionRecord]] = relationship(
        back_populates="session", order_by="InsertionRecord.seq", lazy="raise"
    )
    circuits: Mapped[list[ElectricalCircuitRecord]] = relationship(
        back_populates="session", order_by="ElectricalCircuitRecord.seq", lazy="raise"
    )
    overrides: Mapped[list[SessionOverride]] = relationship(order_by="SessionOverride.seq", lazy="raise")


class SessionOverride(Base):
    """One safety problem found when the session was saved, and the clinician's written reason.

    ``rule_id`` and ``problem`` are the engine's words at that moment; ``insertion_seq`` the
    needle it concerned (NULL for a circuit or the whole session).
    """

    __tablename__ = "session_override"
    __table_args__ = (sa.UniqueConstraint("session_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("treatment_session.id"))
    seq: Mapped[int]
    rule_id: Mapped[str] = mapped_column(sa.String(120))
    insertion_seq: Mapped[int | None]
    problem: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.Text)


class InsertionRecord(Base):
    """One needle (:class:`filiform.core.concepts.Insertion`): where, how, how deep, what happened."""

    __tablename__ = "insertion"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "seq"),
        sa.CheckConstraint(sql_in("side", SIDES), name="side"),
        sa.CheckConstraint("depth_mm >= 0", name="depth"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("treatment_session.id"))
    seq: Mapped[int]
    target_id: Mapped[str] = mapped_column(sa.String(80))
    side: Mapped[str] = mapped_column(sa.String(10))
    technique: Mapped[str] = mapped_column(sa.String(40))
    needle_length_mm: Mapped[float]
    needle_gauge_mm: Mapped[float]
    depth_mm: Mapped[float]
    twitch_responses: Mapped[int] = mapped_column(default=0)
    retention_s: Mapped[int] = mapped_column(default=0)

    session: Mapped[TreatmentSession] = relationship(back_populates="insertions")


def _setting_check(name: str, low: float, high: float, *, open_low: bool = False) -> sa.CheckConstraint:
    lower = f"{name} > {low}" if open_low else f"{name} >= {low}"
    return sa.CheckConstraint(f"{name} IS NULL OR ({lower} AND {name} <= {high})", name=name)


class ElectricalCircuitRecord(Base):
    """One lead pair of a session (:class:`filiform.core.concepts.ElectricalCircuit`).

    ``lead_a_id``/``lead_b_id`` are the two needles the current joined. Circuits migrated
    from the per-needle settings stored before revision ``0004_concepts`` never recorded
    the partner needle: ``lead_b_id`` is then NULL, settings that were not finite or in range
    are NULL, and ``migrated_from`` keeps the original text. New circuits have everything.
    """

    __tablename__ = "electrical_circuit"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "seq"),
        sa.CheckConstraint("lead_b_id IS NOT NULL OR migrated_from IS NOT NULL", name="pair"),
        sa.CheckConstraint(
            "migrated_from IS NOT NULL OR (frequency_hz IS NOT NULL AND pulse_width_us IS NOT NULL "
            "AND intensity_ma IS NOT NULL AND duration_s IS NOT NULL)",
            name="settings",
        ),
        _setting_check("frequency_hz", *FREQUENCY_HZ),
        _setting_check("pulse_width_us", *PULSE_WIDTH_US),
        _setting_check("intensity_ma", *INTENSITY_MA, open_low=True),
        _setting_check("duration_s", *DURATION_S),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("treatment_session.id"))
    seq: Mapped[int]
    lead_a_id: Mapped[int] = mapped_column(sa.ForeignKey("insertion.id"))
    lead_b_id: Mapped[int | None] = mapped_column(sa.ForeignKey("insertion.id"))
    frequency_hz: Mapped[float | None]
    pulse_width_us: Mapped[float | None]
    intensity_ma: Mapped[float | None]
    duration_s: Mapped[float | None]
    migrated_from: Mapped[str | None] = mapped_column(sa.Text)

    session: Mapped[TreatmentSession] = relationship(back_populates="circuits")


class AdverseEvent(_PatientRecord, Base):
    __tablename__ = "adverse_event"
    __table_args__ = (
        sa.Index("ix_adverse_event_patient_id", "patient_id"),
        sa.Index("ix_adverse_event_clinic_id_occurred_on", "clinic_id", "occurred_on", "severity"),
        sa.CheckConstraint(sql_in("event_type", AE_TYPES), name="event_type"),
        sa.CheckConstraint(sql_in("severity", SEVERITIES), name="severity"),
        sa.CheckConstraint(sql_in("onset", AE_ONSETS), name="onset"),
        sa.CheckConstraint(sql_in("action_taken", AE_ACTIONS), name="action_taken"),
        sa.CheckConstraint(sql_in("causality", AE_CAUSALITY), name="causality"),
    )

    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("treatment_session.id"))
    occurred_on: Mapped[date]
    event_type: Mapped[str] = mapped_column(sa.String(40))
    severity: Mapped[str] = mapped_column(sa.String(10))
    significant: Mapped[bool] = mapped_column(default=False)
    onset: Mapped[str] = mapped_column(sa.String(20))
    duration: Mapped[str | None] = mapped_column(sa.String(80))
    action_taken: Mapped[str] = mapped_column(sa.String(30))
    causality: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str | None] = mapped_column(sa.Text)


class OutcomeResponse(_PatientRecord, Base):
    __tablename__ = "outcome_response"
    __table_args__ = (sa.Index("ix_outcome_response_patient_id_completed_on", "patient_id", "completed_on"),)

    episode_id: Mapped[int | None] = mapped_column(sa.ForeignKey("episode.id"))
    instrument_id: Mapped[str] = mapped_column(sa.String(60))
    answers: Mapped[dict[str, Any]]
    total: Mapped[float | None]
    completed_on: Mapped[date]
    # Who answered where: "clinic" (entered by staff) or "home" (the patient's own link); migration 0007_portal.
    source: Mapped[str] = mapped_column(
        sa.String(10),
        sa.CheckConstraint("source IN ('clinic', 'home')", name="source"),
        default="clinic",
        server_default="clinic",
    )
