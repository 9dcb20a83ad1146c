"""Every mapped class in one import (Alembic's target metadata lives here)."""

from __future__ import annotations

from filiform.storage.base import Base
from filiform.storage.models_attachments import Attachment, AttachmentAnalysis, AttachmentWithdrawal
from filiform.storage.models_audit import Amendment, AmendmentProposal, AuditHead, AuditLog
from filiform.storage.models_auth import AuthSession, UserTotp
from filiform.storage.models_charting import EpisodePlan, FormDraft, MrnSequence, OutcomeActivity
from filiform.storage.models_clinical import (
    AdverseEvent,
    Consent,
    ElectricalCircuitRecord,
    Episode,
    InsertionRecord,
    OutcomeResponse,
    PainDrawingRecord,
    Screening,
    SessionOverride,
    TreatmentSession,
)
from filiform.storage.models_people import Clinic, Patient, RecordVersion, User
from filiform.storage.models_portal_all import *  # noqa: F403  (appointments, clinic settings, portal, outbox)
from filiform.storage.models_security import AuthState, AuthThrottle, BackgroundJob, PasswordReset
from filiform.storage.models_smart import SmartClient, SmartJti, SmartToken

__all__ = [
    "AdverseEvent",
    "Amendment",
    "AmendmentProposal",
    "Attachment",
    "AttachmentAnalysis",
    "AttachmentWithdrawal",
    "AuditHead",
    "AuditLog",
    "AuthSession",
    "AuthState",
    "AuthThrottle",
    "BackgroundJob",
    "Base",
    "Clinic",
    "Consent",
    "ElectricalCircuitRecord",
    "Episode",
    "EpisodePlan",
    "FormDraft",
    "InsertionRecord",
    "MrnSequence",
    "OutcomeActivity",
    "OutcomeResponse",
    "PainDrawingRecord",
    "PasswordReset",
    "Patient",
    "RecordVersion",
    "Screening",
    "SessionOverride",
    "SmartClient",
    "SmartJti",
    "SmartToken",
    "TreatmentSession",
    "User",
    "UserTotp",
]
