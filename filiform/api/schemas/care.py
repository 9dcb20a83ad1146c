"""Consent and episodes of care."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from filiform.core.concepts import ConsentDetails, EpisodeDetails

ConsentIn = ConsentDetails
EpisodeIn = EpisodeDetails


class ConsentCreated(BaseModel):
    id: int
    patient_id: int
    form_version: str
    consented_on: date


class EpisodeCreated(BaseModel):
    id: int
    patient_id: int
    condition: str
