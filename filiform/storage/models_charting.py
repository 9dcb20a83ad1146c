"""What charting a visit adds to the record: form drafts, MRN sequences, saved plans, PSFS activities.

Kept out of the tables the audit trail hashes row by row (``patient``, ``episode``,
``outcome_response``...): a new column there would change the stored hash of every row
written before it, and ``audit verify`` would report each one as edited.  So what a visit
adds lives in tables of its own:

* ``form_draft``: a form as the clinician was typing it, sealed with the server key
  (AES-GCM, like TOTP secrets), one per user, patient and form; deleted when the form is saved;
* ``mrn_sequence``: the next medical record number a clinic hands out when none is typed;
* ``episode_plan``: a treatment plan saved to an episode of care, what it was built from and
  what it said (append-only: the latest is the episode's plan, earlier ones its history);
* ``outcome_activity``: the patient's own words for the items an instrument leaves open
  (the PSFS activities), carried to the next visit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from filiform.storage.base import Base, utcnow
from filiform.storage.models_clinical import _PatientRecord


class FormDraft(Base):
    __tablename__ = "form_draft"
    __table_args__ = (sa.UniqueConstraint("user_id", "patient_id", "form"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"))
    form: Mapped[str] = mapped_column(sa.String(60))
    path: Mapped[str] = mapped_column(sa.String(300))
    sealed: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MrnSequence(Base):
    __tablename__ = "mrn_sequence"

    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), primary_key=True, autoincrement=False)
    next_value: Mapped[int]


class EpisodePlan(_PatientRecord, Base):
    __tablename__ = "episode_plan"
    __table_args__ = (sa.Index("ix_episode_plan_episode_id", "episode_id"),)

    episode_id: Mapped[int] = mapped_column(sa.ForeignKey("episode.id"))
    condition: Mapped[str] = mapped_column(sa.String(80))
    inputs: Mapped[dict[str, Any]]
    snapshot: Mapped[dict[str, Any]]


class OutcomeActivity(Base):
    __tablename__ = "outcome_activity"
    __table_args__ = (
        sa.UniqueConstraint("outcome_id", "item_id"),
        sa.Index("ix_outcome_activity_patient_id", "patient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"))
    outcome_id: Mapped[int] = mapped_column(sa.ForeignKey("outcome_response.id"))
    item_id: Mapped[str] = mapped_column(sa.String(40))
    text: Mapped[str] = mapped_column(sa.String(80))
