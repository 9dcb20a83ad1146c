"""Patient handout PDF for the planned targets (and condition, when one is chosen).

The Markdown comes from the planning data the plan page shows (technique explanations,
condition summary and plain-language evidence); ``filiform.reports.pdf`` renders it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from filiform.reports import pdf
from filiform.services import patients
from filiform.services.context import Actor

from .common import run_page
from .plan import build_plan, conditions, parse_targets

router = APIRouter()

AFTERCARE = """## After your session

- Soreness where the needles went in is common and usually settles within one to two days.
  Gentle movement, warmth and your usual pain relief can help.
- Small bruises can appear; they fade on their own.
- Some people feel tired or light-headed afterwards. Sit for a few minutes before you leave.
- **Seek urgent medical help** if you become short of breath, have chest pain, or feel
  increasingly unwell after needling near the chest, neck or upper back.
- Tell us at your next visit how you felt, so we can adjust the treatment.
"""


def handout_markdown(plan: dict[str, Any]) -> str:
    parts: list[str] = []
    condition = plan.get("condition")
    if condition is not None:
        parts += [f"## About {condition.name.lower()}", "", condition.patient_summary, "",
                  "## What the research says", "", condition.evidence.plain_language, ""]
    parts += ["## Where we plan to needle", ""]
    parts += [f"- **{i['name']}** ({i['side']}): {i['technique_name'].lower()}" for i in plan["items"]]
    parts.append("")
    explained = set()
    for item in plan["items"]:
        spec = item["spec"]
        if spec is not None and spec.id not in explained:
            explained.add(spec.id)
            parts += [f"## {spec.name}", "", spec.patient_explanation, ""]
    parts.append(AFTERCARE)
    return "\n".join(parts)


@router.get("/patients/{patient_id}/handout.pdf", include_in_schema=False)
def handout(request: Request, patient_id: int, condition: str = "") -> Any:
    raw = request.query_params.getlist("target")

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        plan = build_plan(parse_targets(raw), None, conditions().get(condition))
        data = pdf.handout_pdf(handout_markdown(plan), title="Your dry needling treatment",
                               patient_name=f"{patient.given_name} {patient.family_name}")
        return Response(data, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="handout-{patient_id}.pdf"',
            "Cache-Control": "no-store"})
    return run_page(request, body)
