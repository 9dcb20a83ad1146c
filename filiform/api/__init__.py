"""The REST API: one router per resource, mounted under ``/api`` by filiform.app.

Endpoints validate input with strict models, then call services (records, audit,
permissions) or the pure core (matching, screening, scoring); they own no rules.
"""

from __future__ import annotations

from fastapi import APIRouter

from filiform.api import (
    accounts,
    adverse_events,
    auth,
    consent,
    diagnosis,
    drawings,
    fhir,
    fhir_auth,
    fhir_bulk,
    kb,
    measures,
    patients,
    plans,
    records,
    screening,
    sessions,
)

router = APIRouter()
for _module in (
    auth,
    patients,
    consent,
    screening,
    drawings,
    sessions,
    adverse_events,
    measures,
    kb,
    records,
    accounts,
    plans,
    fhir_auth,
    fhir_bulk,  # before fhir: its paths would otherwise match the generic read
    diagnosis,
    fhir,
):
    router.include_router(_module.router)

__all__ = ["router"]
