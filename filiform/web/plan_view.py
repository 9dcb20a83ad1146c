"""How the plan page words a plan: names, dose, fit, measures, precautions once with their targets.

No planning rule lives here: the plan is ``filiform.core.planning.plan.build_plan``'s, and
its wording is ``filiform.core.planning.wording``'s; this module only arranges both for the
template (and the same view serves a plan just built and a plan saved to an episode).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from filiform.core.concepts import Side
from filiform.core.kb.loader import load_kb
from filiform.core.kb.models import Muscle
from filiform.core.outcomes import get_instrument
from filiform.core.planning.loader import load_conditions, load_techniques
from filiform.core.planning.models import Condition
from filiform.core.planning.plan import Plan
from filiform.core.planning.wording import dose_words
from filiform.core.safety.questions import QUESTIONS
from filiform.errors import FiliformError, ValidationFailed
from filiform.services.records.plans import FINDING_KINDS

from .labels import DECISION_NAMES, TECHNIQUE_NAMES

SIDE_WORDS = {"left": "Left", "right": "Right"}
GRADE_WORDS = {
    "moderate": "Moderate",
    "low_to_moderate": "Low to moderate",
    "low": "Low",
    "very_low": "Very low",
    "insufficient": "Not enough evidence",
}


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
            raise ValidationFailed(
                "The chart sent a muscle this version does not know: go back to the chart and tick it again"
            )
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


def plan_query(condition: str, side: str | None, drawing: int | None, findings: list[str] | tuple[str, ...]) -> str:
    """The query that rebuilds the same plan (session form, handout, "rebuild")."""
    pairs: list[tuple[str, Any]] = [("condition", condition)]
    if side:
        pairs.append(("side", side))
    if drawing is not None:
        pairs.append(("drawing", drawing))
    pairs += [("finding", f) for f in findings]
    return urlencode(pairs)


def cite(ids: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    kb = load_kb()
    out = []
    for cid in ids:
        c = kb.citations.get(cid)
        if c is not None:
            out.append({"id": cid, "short": c.short, "full": c.reference, "ref": c.identifier})
    return out


def finding_rows(ticked: list[tuple[str, str]], plan: Plan | None, findings: list[str]) -> list[dict[str, Any]]:
    """Muscles (ticked on the chart, or planned with a side) offered for exam findings."""
    kb = load_kb()
    pairs = list(ticked)
    if plan is not None:
        pairs += [(t.target, t.side) for t in plan.targets if t.side is not None]
    rows, seen = [], set()
    for tid, side in pairs:
        if (tid, side) in seen or not isinstance(kb.targets.get(tid), Muscle):
            continue
        seen.add((tid, side))
        checked = {k for k in FINDING_KINDS if f"{tid}:{side}:{k}" in findings}
        rows.append({"id": tid, "side": side, "name": kb.targets[tid].name, "checked": checked})
    return rows


def measure(instrument_id: str) -> dict[str, str]:
    """An outcome measure by its names ("NDI", "Neck Disability Index"), never its code."""
    try:
        inst = get_instrument(instrument_id)
    except FiliformError:
        return {"id": instrument_id, "short": instrument_id.replace("_", " ").upper(), "name": ""}
    return {"id": instrument_id, "short": inst.short_name, "name": inst.name}


def _target_name(plan: Plan, target: str, side: str | None, name: str) -> str:
    kb = load_kb()
    label = name or (kb.targets[target].name if target in kb.targets else target.replace("_", " ").capitalize())
    return f"{label} ({SIDE_WORDS[side].lower()})" if side in SIDE_WORDS else label


def _excluded(plan: Plan) -> list[dict[str, Any]]:
    """Targets left out, grouped by why: one reason shared by many targets is written once."""
    groups: dict[str, list[str]] = {}
    for e in plan.excluded:
        why = "; ".join(dict.fromkeys(part.strip() for part in e.why.split(";") if part.strip()))
        groups.setdefault(why[:1].upper() + why[1:], []).append(_target_name(plan, e.target, e.side, e.name))
    return [{"why": why, "names": names} for why, names in groups.items()]


def view(plan: Plan) -> dict[str, Any]:
    """Everything the template shows, in words."""
    techniques = load_techniques()
    every = {t.label or t.name for t in plan.targets}
    return {
        "status_word": DECISION_NAMES[plan.status],
        "grade": GRADE_WORDS.get(plan.evidence_grade.value, plan.evidence_grade.value.replace("_", " ")),
        "dose": dose_words(plan.dosing),
        "measures": [measure(m) for m in plan.outcome_measures],
        "missing": [QUESTIONS.get(q, q.replace("_", " ")) for q in plan.missing_answers],
        "targets": [
            {
                "t": t,
                "side": SIDE_WORDS.get(t.side or "", "Side: confirm at the visit"),
                "technique": TECHNIQUE_NAMES.get(t.technique.value, t.technique.value),
                "how": techniques[t.technique.value].how if t.technique.value in techniques else "",
                "decision": DECISION_NAMES[t.decision.value],
            }
            for t in plan.targets
        ],
        "precautions": [
            {"text": p.text, "targets": [] if set(p.targets) >= every and len(every) > 1 else list(p.targets)}
            for p in plan.precaution_details
        ],
        "excluded": _excluded(plan),
        "technique_names": TECHNIQUE_NAMES,
    }
