"""Patients: registration (``Demographics``), demographics, the record timeline, the dashboard."""

from __future__ import annotations

from filiform.core.concepts import Demographics
from filiform.services.records.views import Dashboard, PatientView, Timeline

PatientIn = Demographics

__all__ = ["Dashboard", "PatientIn", "PatientView", "Timeline"]
