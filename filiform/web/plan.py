"""Plan page: choose a condition, read the plan in clinical words, save it to an episode.

``filiform.core.planning.plan.build_plan`` ranks the condition's targets with the
patient's pain drawing and exam findings, keeps lung-adjacent targets to one side of the
thorax, screens every site with the latest intake answers and picks technique and needle.
The page only shows its result (through :mod:`.plan_view`), so the web, the API and the
CLI plan alike. **Save to episode** stores the plan as shown
(:mod:`filiform.services.records.saved_plans`); ``?saved=<id>`` reopens it exactly.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from filiform.core.kb.loader import load_kb
from filiform.services.access.context import Actor, Perm
from filiform.services.records import patients, reads, saved_plans
from filiform.services.records.plans import FINDING_KINDS, parse_findings, plan_for_patient

from .common import clinic_today, clinic_zone, form_int, render, run_page
from .plan_view import cite as _cite
from .plan_view import conditions, finding_rows, parse_ticked, plan_query, suggested, view

__all__ = ["conditions", "plan_query"]

router = APIRouter()


def _episodes(s: Session, actor: Actor, patient_id: int) -> list[Any]:
    """Open episodes a plan may be saved to."""
    if not actor.can(Perm.WRITE_CLINICAL):
        return []
    return [e for e in reads.episodes(s, actor=actor, patient_id=patient_id) if e.closed_on is None]


@router.get("/patients/{patient_id}/plan", include_in_schema=False)
def plan_page(
    request: Request, patient_id: int, condition: str = "", side: str = "", drawing: int | None = None
) -> Any:
    raw_ticked = request.query_params.getlist("target")
    raw_findings = request.query_params.getlist("finding")
    saved_id = form_int(request.query_params.get("saved"))

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        ticked = parse_ticked(raw_ticked)
        if saved_id is not None:
            return _saved(request, s, actor, patient, saved_id, ticked)
        findings = parse_findings(raw_findings)
        conds = conditions()
        built = None
        if condition:
            built = plan_for_patient(
                s,
                actor,
                patient,
                condition=condition,
                side=side or None,
                drawing_id=drawing,
                findings=findings,
                today=clinic_today(s, actor),
            )
        plan = built.plan if built else None
        planned = {(t.target, t.side) for t in plan.targets} if plan else set()
        kb = load_kb()
        context = {
            "title": "Plan",
            "patient": patient,
            "built": built,
            "plan": plan,
            "v": view(plan) if plan else None,
            "cond": built.condition if built else None,
            "conditions": conds,
            "condition": condition,
            "side": side,
            "drawing": drawing,
            "ticked": raw_ticked,
            "findings": raw_findings,
            "suggested": suggested(ticked, conds),
            "not_planned": [
                f"{kb.targets[t].name} ({sd})"
                for t, sd in ticked
                if plan and (t, sd) not in planned and (t, None) not in planned
            ],
            "finding_rows": finding_rows(ticked, plan, raw_findings),
            "finding_kinds": FINDING_KINDS,
            "sources": _cite(plan.citations) if plan else [],
            "query": plan_query(condition, side or None, drawing, raw_findings) if plan else "",
            "episodes": _episodes(s, actor, patient_id) if plan else [],
        }
        return render(request, "plan.html", context)

    return run_page(request, body)


def _saved(
    request: Request, s: Session, actor: Actor, patient: Any, plan_id: int, ticked: list[tuple[str, str]]
) -> Any:
    found = saved_plans.saved_plan(s, actor=actor, patient_id=patient.id, plan_id=plan_id)
    inputs = found.inputs
    plan = found.plan
    context = {
        "title": "Saved plan",
        "patient": patient,
        "saved": found,
        "plan": plan,
        "v": view(plan) if plan else None,
        "cond": conditions().get(inputs.condition),
        "sources": _cite(plan.citations) if plan else [],
        "query": plan_query(inputs.condition, inputs.side, inputs.drawing_id, inputs.findings),
        "tz": clinic_zone(s, actor),
        "just_saved": request.query_params.get("just") == "1",
        "ticked": [f"{t}:{sd}" for t, sd in ticked],  # chosen on the chart: the session form's cards
    }
    return render(request, "plan_saved.html", context)


@router.post("/patients/{patient_id}/plan/save", include_in_schema=False)
async def plan_save(request: Request, patient_id: int) -> Any:
    form = await request.form()
    condition = str(form.get("condition", ""))
    side = str(form.get("side", "")) or None
    drawing = form_int(form.get("drawing"))
    ticks = tuple(str(v) for v in form.getlist("finding"))
    raw_ticked = [str(v) for v in form.getlist("target")]
    episode = form_int(form.get("episode"))

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        ticked = parse_ticked(raw_ticked)  # carried on to the session form, so checked first
        today = clinic_today(s, actor)
        built = plan_for_patient(
            s,
            actor,
            patient,
            condition=condition,
            side=side,
            drawing_id=drawing,
            findings=parse_findings(ticks),
            today=today,
        )
        inputs = saved_plans.PlanInputs(condition=condition, side=side, drawing_id=drawing, findings=ticks)
        row = saved_plans.save_plan(
            s, actor=actor, patient_id=patient_id, built=built, inputs=inputs, opened_on=today, episode_id=episode
        )
        carried = urlencode([("target", f"{t}:{sd}") for t, sd in ticked])
        return RedirectResponse(
            f"/patients/{patient_id}/plan?saved={row.id}&just=1" + (f"&{carried}" if carried else ""), status_code=303
        )

    return run_page(request, body)
