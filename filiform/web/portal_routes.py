"""One router for appointments, clinic settings, the outbox and the patient portal.

The patient's fixed ``/p/`` pages are included before ``/p/{token}``.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import appointments, clinic_pages, portal_forms, portal_patient, portal_review, portal_staff

router = APIRouter()
for _module in (appointments, clinic_pages, portal_staff, portal_review, portal_forms, portal_patient):
    router.include_router(_module.router)
