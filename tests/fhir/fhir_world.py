"""Shared test types for the FHIR tests (kept out of conftest.py so that test modules can
import them without clashing with other folders' conftest modules)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from filiform.services.access.context import Actor


@dataclass(frozen=True)
class Clinic:
    engine: Engine
    url: str
    admin: Actor
    clinician: Actor
    patient_id: int
