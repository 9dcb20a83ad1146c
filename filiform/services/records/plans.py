"""What the plan builder needs from a patient's record, gathered once for the web and the API.

The rules live in ``filiform.core.planning.plan.build_plan`` (candidate ranking with
condition priors, one thorax side, screening per site, technique and needle choice);
this module only turns stored records into its ``PlanRequest``: the latest screening's
answers (all unknown when there is none, so nothing unasked reads as a "no"), the chosen
or latest pain drawing, exam findings ticked on the plan page, and age and sex.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from filiform.core.kb.loader import load_kb
from filiform.core.matching import DrawnRegion, Finding, PainDrawing
from filiform.core.planning.loader import get_condition
from filiform.core.planning.models import Condition
from filiform.core.planning.plan import Plan, PlanRequest, build_plan
from filiform.core.safety.intake import Intake, PatientBody
from filiform.errors import ValidationFailed
from filiform.services.access.context import Actor
from filiform.services.records import reads
from filiform.storage.models import Screening

FINDING_KINDS = {
    "taut_band": "taut band",
    "spot_tenderness": "spot tenderness",
    "recognised_pain": "recognised pain",
    "twitch_response": "twitch response",
}


@dataclass(frozen=True)
class PatientPlan:
    plan: Plan
    condition: Condition
    intake: Intake
    screened: bool  # False: no screening that fits today's questionnaire (all answers unknown)
    drawing: dict[str, Any] | None


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def patient_body(patient: Any, today: date) -> PatientBody:
    sex = patient.sex if patient.sex in ("female", "male") else None
    return PatientBody(sex=sex, age=min(120, max(0, age_on(patient.birth_date, today))))


def latest_intake(s: Session, timeline: dict[str, Any]) -> tuple[Intake, bool]:
    """The latest screening's answers, or an all-unknown intake when none fits."""
    latest = timeline["screenings"][0] if timeline["screenings"] else None
    row = s.get(Screening, latest["id"]) if latest is not None else None
    if row is None:
        return Intake(), False
    answers = row.answers
    if isinstance(answers.get("intake"), dict):  # early API rows wrapped the answers with the sites
        answers = answers["intake"]
    try:
        return Intake.from_data(answers), True
    except ValidationError:
        return Intake(), False  # an older questionnaire: plan as if unanswered


def parse_findings(raw: list[str]) -> list[Finding]:
    """``muscle:side:kind`` strings (from the plan form) to matcher findings, merged per muscle."""
    muscles = load_kb().muscles
    merged: dict[tuple[str, str], dict[str, bool]] = {}
    for item in raw:
        muscle, _, rest = item.partition(":")
        side, _, kind = rest.partition(":")
        if muscle not in muscles or side not in ("left", "right") or kind not in FINDING_KINDS:
            raise ValidationFailed(f"not a valid exam finding: '{item[:80]}'")
        merged.setdefault((muscle, side), {})[kind] = True
    return [Finding.model_validate({"muscle": m, "side": sd, **kinds}) for (m, sd), kinds in merged.items()]


def pick_drawing(timeline: dict[str, Any], drawing_id: int | None) -> dict[str, Any] | None:
    drawings: list[dict[str, Any]] = timeline["drawings"]
    if drawing_id is None:
        return drawings[0] if drawings else None
    found: dict[str, Any] | None = next((d for d in drawings if d["id"] == drawing_id), None)
    if found is None:
        raise ValidationFailed(f"drawing {drawing_id} is not one of this patient's drawings")
    return found


def pain_drawing(drawing: dict[str, Any] | None, findings: list[Finding]) -> PainDrawing | None:
    if drawing is None and not findings:
        return None
    regions = tuple(
        DrawnRegion.model_validate({**r, "intensity": int(r["intensity"])})
        for r in (drawing or {}).get("regions", [])
        if int(r["intensity"]) > 0
    )
    return PainDrawing(regions=regions, findings=tuple(findings))


def plan_for_patient(
    s: Session,
    actor: Actor,
    patient: Any,
    *,
    condition: str,
    side: str | None,
    drawing_id: int | None = None,
    findings: list[Finding] | None = None,
    today: date | None = None,
) -> PatientPlan:
    """Build the plan for ``patient`` from their records (raises NotFound for a bad condition)."""
    if side not in (None, "left", "right"):
        raise ValidationFailed("side must be left or right")
    today = today or date.today()
    tl = reads.timeline(s, actor=actor, patient_id=patient.id)
    intake, screened = latest_intake(s, tl)
    drawing = pick_drawing(tl, drawing_id)
    try:
        plan = build_plan(
            PlanRequest(
                condition=condition,
                side=side,
                drawing=pain_drawing(drawing, findings or []),
                intake=intake,
                body=patient_body(patient, today),
                today=today,
            )
        )
    except ValidationError as exc:
        raise ValidationFailed(
            "the stored drawing cannot be planned from", details=[e["msg"] for e in exc.errors()[:5]]
        ) from None
    return PatientPlan(
        plan=plan, condition=get_condition(plan.condition), intake=intake, screened=screened, drawing=drawing
    )


def anticoagulated(intake: Intake) -> bool:
    return intake.anticoagulant not in ("no", "unknown")
