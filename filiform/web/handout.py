"""Patient handout PDF: planning's Markdown handout for the condition and planned techniques.

The same plan as the plan page (same query: condition, side, drawing, findings) decides
which techniques are explained, whether the chest-needling warning is added (a planned
target is lung-adjacent) and whether the blood-thinner advice is (the screening says so).
``filiform.core.planning.handout.render_handout`` writes the text; ``filiform.reports.pdf``
renders it. No aftercare text lives here, so the handout cannot drift from the data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from filiform.core.concepts.clock import local_date
from filiform.core.planning.handout import ClinicDetails, render_handout
from filiform.errors import ValidationFailed
from filiform.reports import pdf
from filiform.services.access.context import Actor
from filiform.services.records import patients
from filiform.services.records.clinic_settings import letterhead
from filiform.services.records.plans import anticoagulated, plan_from_query
from filiform.services.records.session_record import clinician_name

from .common import run_page

router = APIRouter()


@router.get("/patients/{patient_id}/handout.pdf", include_in_schema=False)
def handout(request: Request, patient_id: int, condition: str = "", side: str = "", drawing: int | None = None) -> Any:
    raw_findings = request.query_params.getlist("finding")

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        if not condition:
            raise ValidationFailed("choose a condition on the plan page first")
        built = plan_from_query(
            s, actor, patient, condition=condition, side=side, drawing_id=drawing, ticks=raw_findings
        )
        plan = built.plan
        head = letterhead(s, actor.clinic_id)
        markdown = render_handout(
            plan.condition,
            [t.technique for t in plan.targets],
            near_chest=any(t.needle.lung_adjacent for t in plan.targets),
            anticoagulated=anticoagulated(built.intake),
            clinic=ClinicDetails(name=head.name, phone=head.phone or "", address=head.address or ""),
        )
        data = pdf.handout_pdf(
            markdown,
            title="Your dry needling treatment",
            patient_name=f"{patient.given_name} {patient.family_name}",
            clinic=head.name,
            on=local_date(datetime.now(UTC), head.timezone),
            clinician=clinician_name(s, actor),
        )
        return Response(
            data,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="handout-{patient_id}.pdf"',
                "Cache-Control": "no-store",
            },
        )

    return run_page(request, body)
