"""What the plan builder needs from a patient's record, gathered once for the web and the API.

The rules live in ``filiform.core.planning.plan.build_plan`` (candidate ranking with
condition priors, one thorax side, screening per site, technique and needle choice);
this module only turns stored records into its ``PlanRequest``: the latest screening's
answers (all unknown when there is none, so nothing unasked reads as a "no"), the chosen
or latest pain drawing, exam findings ticked on the plan page, and age and sex.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from filiform.core.concepts import Finding, FindingKind, PainDrawing, Side
from filiform.core.concepts.finding import parse_finding_ticks
from filiform.core.concepts.patient import age_on
from filiform.core.kb.loader import load_kb
from filiform.core.planning.loader import get_condition
from filiform.core.planning.models import Condition
from filiform.core.planning.plan import Plan, PlanRequest, build_plan
from filiform.core.safety.intake import Intake, PatientBody
from filiform.errors import ValidationFailed
from filiform.services.access.context import Actor
from filiform.services.records import reads
from filiform.services.records.views import DrawingView

# The exam findings a plan page offers: every kind the matcher weighs, in one list.
FINDING_KINDS: dict[str, str] = {kind.value: kind.label for kind in FindingKind}


@dataclass(frozen=True)
class PatientPlan:
    plan: Plan
    condition: Condition
    intake: Intake
    screened: bool  # False: no screening that fits today's questionnaire (all answers unknown)
    drawing: DrawingView | None


def patient_body(patient: Any, today: date) -> PatientBody:
    sex = patient.sex if patient.sex in ("female", "male") else None
    return PatientBody(sex=sex, age=min(120, max(0, age_on(patient.birth_date, today))))


def intake_from(answers: dict[str, Any] | None) -> tuple[Intake, bool]:
    """The latest screening's answers, or an all-unknown intake when none fits."""
    if answers is None:
        return Intake(), False
    if isinstance(answers.get("intake"), dict):  # early API rows wrapped the answers with the sites
        answers = answers["intake"]
    try:
        return Intake.from_data(answers), True
    except ValidationError:
        return Intake(), False  # an older questionnaire: plan as if unanswered


def latest_intake(s: Session, actor: Actor, patient_id: int) -> tuple[Intake, bool]:
    """The intake of the patient's latest screening (all unknown without one), one audited read."""
    return intake_from(reads.screening_answers(s, actor=actor, patient_id=patient_id))


def parse_findings(raw: Iterable[str]) -> list[Finding]:
    """``muscle:side:kind`` ticks (from the plan form) to findings, merged per muscle and side."""
    return parse_finding_ticks(raw, load_kb().muscles)


def pain_drawing(drawing: DrawingView | None, findings: list[Finding]) -> PainDrawing | None:
    if drawing is None and not findings:
        return None
    return PainDrawing(regions=drawing.regions if drawing else (), findings=tuple(findings))


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
    if side is not None and side not in {s.value for s in Side}:
        raise ValidationFailed("side must be left or right")
    today = today or date.today()
    answers, drawing = reads.planning_inputs(s, actor=actor, patient_id=patient.id, drawing_id=drawing_id)
    intake, screened = intake_from(answers)
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


def plan_from_query(
    s: Session, actor: Actor, patient: Any, *, condition: str, side: str, drawing_id: int | None, ticks: Iterable[str]
) -> PatientPlan:
    """The plan a page's query describes (condition, side or "", drawing, ``finding`` ticks).

    The plan page, the session form and the handout rebuild the same plan from the same
    query, so they always agree.
    """
    return plan_for_patient(
        s, actor, patient, condition=condition, side=side or None, drawing_id=drawing_id, findings=parse_findings(ticks)
    )


def anticoagulated(intake: Intake) -> bool:
    return intake.anticoagulant not in ("no", "unknown")
