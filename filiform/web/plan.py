"""Plan view: chosen targets with technique, needle, depth, precautions and evidence.

Per-site safety comes from re-running the screening engine on the patient's latest
intake answers with the chosen targets as sites, so a lung-adjacent target or a listed
lymphoedema limb shows its own decision here, before anyone picks up a needle.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from filiform.core.kb.loader import load_kb
from filiform.core.planning.loader import load_conditions, load_techniques
from filiform.core.planning.models import Condition
from filiform.core.safety.decision import ScreeningResult, Technique
from filiform.core.safety.intake import Intake
from filiform.core.safety.screening import screen, sites_for_targets
from filiform.errors import FiliformError, NotFound, ValidationFailed
from filiform.services import charts, patients
from filiform.services.context import Actor
from filiform.storage.models import Screening

from .common import render, run_page
from .labels import DECISION_NAMES, TECHNIQUE_NAMES

router = APIRouter()
DEFAULT_TECHNIQUE = {"muscle": Technique.TRIGGER_POINT, "tendon": Technique.TENDON_FENESTRATION,
                     "nerve": Technique.PERINEURAL, "periarticular": Technique.PERIARTICULAR,
                     "scar": Technique.SUPERFICIAL}


def conditions() -> dict[str, Condition]:
    """Conditions from the planning data; an invalid data file hides them, it does not break pages."""
    try:
        return load_conditions()
    except FiliformError:
        return {}


def parse_targets(raw: list[str]) -> list[tuple[str, str]]:
    """``muscle_id:side`` strings to pairs; unknown targets or sides are errors."""
    kb = load_kb()
    out: list[tuple[str, str]] = []
    for item in raw:
        tid, _, side = item.partition(":")
        if tid not in kb.targets:
            raise NotFound(f"unknown target '{tid}'")
        if side not in ("left", "right", "bilateral", "midline"):
            raise ValidationFailed(f"{tid}: side must be left, right, bilateral or midline")
        if (tid, side) not in out:
            out.append((tid, side))
    return out


def _technique(tid: str, kind: str, condition: Condition | None) -> Technique:
    if condition is not None:
        for ct in condition.targets:
            if ct.target == tid:
                return ct.techniques[0]
    return DEFAULT_TECHNIQUE.get(kind, Technique.TRIGGER_POINT)


def build_plan(targets: list[tuple[str, str]], answers: dict[str, Any] | None,
               condition: Condition | None) -> dict[str, Any]:
    """Everything the plan page and the handout need, from the KB, techniques and screening."""
    kb, specs = load_kb(), load_techniques()
    result: ScreeningResult | None = None
    if answers is not None:
        sides = [(t, s if s in ("left", "right") else None) for t, s in targets]
        result = screen(Intake.model_validate(answers), sites_for_targets(kb, sides))
    items = []
    for n, (tid, side) in enumerate(targets):
        target = kb.target(tid)
        technique = _technique(tid, target.kind, condition)
        decision = None
        if result is not None:
            decision = result.sites[n].techniques[[t.technique for t in result.sites[n].techniques].index(technique)]
        items.append({"id": tid, "name": target.name, "side": side, "kind": target.kind,
                      "technique": technique.value, "technique_name": TECHNIQUE_NAMES[technique.value],
                      "spec": specs.get(technique.value), "approaches": target.needling,
                      "danger": [(kb.danger.get(d.structure), d) for d in target.danger],
                      "decision": decision, "citations": target.citations})
    return {"items": items, "screened": result is not None, "condition": condition,
            "decision_names": DECISION_NAMES}


@router.get("/patients/{patient_id}/plan", include_in_schema=False)
def plan_page(request: Request, patient_id: int, drawing: int | None = None,
              condition: str = "") -> Any:
    raw_targets = request.query_params.getlist("target")

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        tl = charts.timeline(s, actor=actor, patient_id=patient_id)
        targets = parse_targets(raw_targets)
        conds = conditions()
        latest = tl["screenings"][0] if tl["screenings"] else None
        plan = build_plan(targets, _answers(s, latest), conds.get(condition)) if targets else None
        return render(request, "plan.html", {
            "title": "Plan", "patient": patient, "plan": plan, "drawing": drawing,
            "targets": raw_targets, "conditions": conds, "condition": condition,
            "screening": latest, "kb_targets": sorted((t.name, t.id) for t in load_kb().targets.values())})
    return run_page(request, body)


def _answers(s: Session, latest: dict[str, Any] | None) -> dict[str, Any] | None:
    """The intake answers of the latest screening, when they fit today's questionnaire."""
    if latest is None:
        return None
    row = s.get(Screening, latest["id"])
    if row is None:
        return None
    # JSON stores the site tuples as lists; the strict model wants tuples back.
    answers = {k: tuple(v) if isinstance(v, list) else v for k, v in row.answers.items()}
    try:
        Intake.model_validate(answers)
    except ValueError:
        return None  # an older questionnaire: the plan shows the stored overall decision only
    return answers
