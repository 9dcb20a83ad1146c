"""The tables of appointments, clinic settings, the patient portal and the outbox, in one
import (``filiform.storage.models`` re-exports them with a single line)."""

from __future__ import annotations

from filiform.storage.models_appointments import Appointment, CalendarFeed
from filiform.storage.models_clinic_settings import ClinicSettings
from filiform.storage.models_outbox import OutboxMessage
from filiform.storage.models_portal import EConsent, IntakeProposal, MeasureSchedule, PatientReport, PortalLink

__all__ = [
    "Appointment",
    "CalendarFeed",
    "ClinicSettings",
    "EConsent",
    "IntakeProposal",
    "MeasureSchedule",
    "OutboxMessage",
    "PatientReport",
    "PortalLink",
]
