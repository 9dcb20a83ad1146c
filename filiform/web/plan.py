"""Plan page: choose a condition; the planning builder does the rest.

``filiform.core.planning.plan.build_plan`` ranks the condition's targets with the
patient's pain drawing and exam findings, keeps lung-adjacent targets to one side of the
thorax, screens every site with the latest intake answers and picks technique and needle.
The page only shows its result, so the web, the API and the CLI plan alike. Targets
ticked on the body chart arrive as ``target=muscle:side``: they are offered as rows for
exam findings (which raise a muscle's rank) and used to suggest conditions.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from filiform.core.concepts import Side
from filiform.core.kb.loader import load_kb
from filiform.core.kb.models import Muscle
from filiform.core.planning.loader import load_conditions, load_techniques
from filiform.core.planning.models import Condition
from filiform.errors import FiliformError, ValidationFailed
from filiform.services.access.context import Actor
from filiform.services.records import patients
from filiform.services.records.plans import FINDING_KINDS, PatientPlan, parse_findings, plan_for_patient

from .common import render, run_page
from .labels import DECISION_NAMES, TECHNIQUE_NAMES

router = APIRouter()


def conditions() -> dict[str, Condition]:
    """Conditions from the planning data; an invalid data file hides them, it does not break pages."""
    try:
        return load_conditions()
    except FiliformError:
        return {}


def parse_ticked(raw: list[str]) -> list[tuple[str, str]]:
    """``target_id:side`` pairs ticked on the chart; unknown ids or sides are a clear 422."""
    kb = load_kb()
    out: list[tuple[str, str]] = []
    for item in raw:
        tid, _, side = item.partition(":")
        if tid not in kb.targets or side not in {s.value for s in Side}:
            raise ValidationFailed(f"not a target and side: '{item[:80]}'")
        if (tid, side) not in out:
            out.append((tid, side))
    return out


def suggested(ticked: list[tuple[str, str]], conds: dict[str, Condition]) -> list[str]:
    """Condition ids whose typical targets include most of the ticked ones, best first.

    Ties on the number matched go to the condition where the ticked targets have the higher
    priority (priority 1 counts 3, 3 counts 1), so a condition that lists a muscle only as a
    secondary target does not crowd out one where it is a first-line target.
    """
    wanted = {t for t, _ in ticked}
    scored = []
    for cid, c in conds.items():
        hits = [ct for ct in c.targets if ct.target in wanted]
        scored.append((len({ct.target for ct in hits}), sum(4 - ct.priority for ct in hits), cid))
    return [cid for n, _w, cid in sorted(scored, key=lambda x: (-x[0], -x[1], x[2])) if n > 0][:3]


def plan_query(condition: str, side: str | None, drawing: int | None, findings: list[str]) -> str:
    """The query that rebuilds the same plan (session form, handout)."""
    pairs: list[tuple[str, Any]] = [("condition", condition)]
    if side:
        pairs.append(("side", side))
    if drawing is not None:
        pairs.append(("drawing", drawing))
    pairs += [("finding", f) for f in findings]
    return urlencode(pairs)


def _cite(ids: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    kb = load_kb()
    out = []
    for cid in ids:
        c = kb.citations.get(cid)
        if c is None:
            continue
        out.append({"id": cid, "short": c.short, "full": c.reference, "ref": c.identifier})
    return out


def finding_rows(ticked: list[tuple[str, str]], built: PatientPlan | None, findings: list[str]) -> list[dict[str, Any]]:
    """Muscles (ticked on the chart, or planned with a side) offered for exam findings."""
    kb = load_kb()
    pairs = list(ticked)
    if built is not None:
        pairs += [(t.target, t.side) for t in built.plan.targets if t.side is not None]
    rows, seen = [], set()
    for tid, side in pairs:
        if (tid, side) in seen or not isinstance(kb.targets.get(tid), Muscle):
            continue
        seen.add((tid, side))
        rows.append(
            {
                "id": tid,
                "side": side,
                "name": kb.targets[tid].name,
                "checked": {k for k in FINDING_KINDS if f"{tid}:{side}:{k}" in findings},
            }
        )
    return rows


@router.get("/patients/{patient_id}/plan", include_in_schema=False)
def plan_page(
    request: Request, patient_id: int, condition: str = "", side: str = "", drawing: int | None = None
) -> Any:
    raw_ticked = request.query_params.getlist("target")
    raw_findings = request.query_params.getlist("finding")

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        ticked = parse_ticked(raw_ticked)
        findings = parse_findings(raw_findings)
        conds = conditions()
        built = None
        if condition:
            built = plan_for_patient(
                s, actor, patient, condition=condition, side=side or None, drawing_id=drawing, findings=findings
            )
        planned = {(t.target, t.side) for t in built.plan.targets} if built else set()
        kb = load_kb()
        return render(
            request,
            "plan.html",
            {
                "title": "Plan",
                "patient": patient,
                "built": built,
                "plan": built.plan if built else None,
                "cond": built.condition if built else None,
                "conditions": conds,
                "condition": condition,
                "side": side,
                "drawing": drawing,
                "ticked": raw_ticked,
                "suggested": suggested(ticked, conds),
                "not_planned": [
                    f"{kb.targets[t].name} ({sd})"
                    for t, sd in ticked
                    if built and (t, sd) not in planned and (t, None) not in planned
                ],
                "finding_rows": finding_rows(ticked, built, raw_findings),
                "finding_kinds": FINDING_KINDS,
                "techniques": load_techniques(),
                "technique_names": TECHNIQUE_NAMES,
                "decision_names": DECISION_NAMES,
                "review_labels": {
                    c["id"]: c["short"] for c in _cite([r.citation for r in built.condition.evidence.reviews])
                }
                if built
                else {},
                "sources": _cite(built.plan.citations) if built else [],
                "query": plan_query(condition, side or None, drawing, raw_findings) if built else "",
            },
        )

    return run_page(request, body)
