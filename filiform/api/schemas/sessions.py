"""Needling sessions (``NeedlingSession``: needles and lead-pair circuits) and adverse events."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from filiform.core.concepts import AdverseEventDetails, NeedlingSession

SessionIn = NeedlingSession
AdverseEventIn = AdverseEventDetails


class SessionCreated(BaseModel):
    id: int
    patient_id: int
    started_at: datetime
    insertions: int
    circuits: int
    screening_id: int
    consent_id: int
    override: bool


class AdverseEventCreated(BaseModel):
    id: int
    patient_id: int
    severity: str
    significant: bool
