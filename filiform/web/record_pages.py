"""Everything reachable about a record: its audit trail, its amendments, exports and billing.

The audit trail (who saw and who changed what) is for roles that may read the audit log;
the amendments page for clinical roles; the clinic's FHIR Bulk export and billing summary
for its administrators. FHIR URLs come from :mod:`.fhir_links` only.
"""

from __future__ import annotations

import io
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from filiform.fhir import billing
from filiform.services.access.context import Actor, Perm, require
from filiform.services.operations import record_trail
from filiform.services.records import history, patients

from . import fhir_links
from .common import clinic_zone, render, run_page

router = APIRouter()


@router.get("/patients/{patient_id}/audit", include_in_schema=False)
def audit_trail(request: Request, patient_id: int, pages: bool = False) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        entries = record_trail.patient_trail(s, actor=actor, patient_id=patient_id, pages=pages)
        context = {"title": "Audit trail", "patient": patient, "entries": entries, "pages": pages}
        return render(request, "record_audit.html", {**context, "tz": clinic_zone(s, actor)})

    return run_page(request, body)


@router.get("/patients/{patient_id}/amendments", include_in_schema=False)
def amendments_page(request: Request, patient_id: int) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        entries = history.patient_amendments(s, actor=actor, patient_id=patient_id)
        context = {"title": "Amendments", "patient": patient, "entries": entries, "tz": clinic_zone(s, actor)}
        return render(request, "record_amendments.html", context)

    return run_page(request, body)


@router.get("/clinic/exports", include_in_schema=False)
def exports_page(request: Request) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        require(actor, Perm.MANAGE_USERS)
        return render(request, "clinic_exports.html", {"title": "Exports", "kickoff": fhir_links.clinic_export()})

    return run_page(request, body)


@router.get("/clinic/billing.csv", include_in_schema=False)
def billing_csv(request: Request) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        require(actor, Perm.MANAGE_USERS)
        return actor

    actor = run_page(request, body)
    if not isinstance(actor, Actor):
        return actor  # the login page or the error page
    out = io.StringIO()
    billing.billing_csv(request.app.state.sessions.kw["bind"], actor=actor, out=out)
    headers = {"Content-Disposition": 'attachment; filename="billing.csv"', "Cache-Control": "no-store"}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
