"""Plan builder: condition + pain drawing + findings + screening to a treatment plan.

Order of work, so that safety wins every tie: pick candidate targets (the condition's
typical targets, re-ranked by the pain drawing when there is one), drop the second side of
the thorax, screen every candidate site, then give each surviving target the first of its
techniques that screening allows there, with a needle sized for this patient.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Literal

from filiform.core.concepts import Side, Technique
from filiform.core.kb.loader import KnowledgeBase, load_kb
from filiform.core.kb.models import Muscle, Target
from filiform.core.matching import match
from filiform.core.safety.decision import Decision, Reason, ScreeningResult
from filiform.core.safety.needle import needle_guidance
from filiform.core.safety.rules import RuleSet, load_rules
from filiform.core.safety.screening import evaluate
from filiform.core.safety.sites import PlannedSite, planned_target

from .loader import get_condition
from .models import Condition
from .plan_models import (
    DangerNote,
    Excluded,
    Plan,
    PlannedTarget,
    PlanPrecaution,
    PlanRequest,
)
from .wording import PRIORITY_WORDS, fit_of, fit_words

__all__ = ["Excluded", "Plan", "PlanRequest", "PlannedTarget", "build_plan", "condition_priors", "plan_targets"]

_PRIOR = {1: 2.0, 2: 1.5, 3: 1.2}


def _priors(cond: Condition, kb: KnowledgeBase) -> dict[str, float]:
    return {t.target: _PRIOR[t.priority] for t in cond.targets if isinstance(kb.targets.get(t.target), Muscle)}


def condition_priors(condition_id: str, kb: KnowledgeBase | None = None) -> dict[str, float]:
    """Prior multipliers a condition gives its typical muscles when ranking a pain drawing
    (priority 1: 2.0, 2: 1.5, 3: 1.2). An unknown condition id raises ``NotFound``."""
    return _priors(get_condition(condition_id), kb or load_kb())


_Cand = tuple[str, Side | None, str, float | None]  # target id, side, why suggested, drawing score


def _candidates(cond: Condition, req: PlanRequest, kb: KnowledgeBase, excluded: list[Excluded]) -> list[_Cand]:
    typical = [t for t in sorted(cond.targets, key=lambda t: t.priority)]
    for t in typical:
        if t.target not in kb.targets:
            excluded.append(
                Excluded(
                    target=t.target,
                    side=req.side,
                    why="not in the knowledge base yet",
                    name=t.target.replace("_", " ").capitalize(),
                )
            )
    present = [t for t in typical if t.target in kb.targets]
    out: list[_Cand] = []
    if req.drawing is not None:
        result = match(req.drawing, priors=_priors(cond, kb))
        wanted = {t.target for t in present}
        for m in result.muscles:
            if m.muscle_id in wanted:
                out.append((m.muscle_id, m.side, fit_words(m.score), m.score))
    seen = {c[0] for c in out}
    for t in present:
        if t.target not in seen:
            out.append((t.target, req.side, f"a {PRIORITY_WORDS[t.priority]} target of this condition", None))
    return out


def _one_thorax_side(cands: list[_Cand], kb: KnowledgeBase, excluded: list[Excluded]) -> list[_Cand]:
    """Keep lung-adjacent targets on one side only: the side of the best-ranked one.

    A lung-adjacent candidate whose side is not yet known is put on that side too, so an
    undecided side can never become the second side of the thorax.
    """
    side = next((c[1] for c in cands if kb.targets[c[0]].lung_adjacent and c[1] is not None), None)
    kept: list[_Cand] = []
    for tid, cside, source, score in cands:
        if kb.targets[tid].lung_adjacent and side is not None:
            if cside is None:
                cside, source = side, source + f"; side set to {side} (one side of the thorax per session)"
            elif cside != side:
                excluded.append(
                    Excluded(
                        target=tid,
                        side=cside,
                        name=kb.targets[tid].name,
                        why="other side of the thorax: not in the same "
                        "session (bilateral pneumothorax risk); plan it for the next session",
                    )
                )
                continue
        kept.append((tid, cside, source, score))
    return kept


def _choose(
    cond: Condition, target_id: str, site: PlannedSite, result: ScreeningResult
) -> tuple[Technique | None, Decision, tuple[str, ...], tuple[Reason, ...]]:
    options = next((t.techniques for t in cond.targets if t.target == target_id), (Technique.TRIGGER_POINT,))
    reasons: list[Reason] = []
    for tech in options:
        d = result.for_site(site.key, tech)
        if d.decision != Decision.DO_NOT_NEEDLE:
            return tech, d.decision, d.precautions, d.reasons
        reasons.extend(r for r in d.reasons if r.decision == Decision.DO_NOT_NEEDLE and r not in reasons)
    return None, Decision.DO_NOT_NEEDLE, (), tuple(reasons)


def _danger(target: Target, kb: KnowledgeBase) -> tuple[DangerNote, ...]:
    return tuple(
        DangerNote(
            structure=ref.structure,
            name=kb.danger[ref.structure].name if ref.structure in kb.danger else ref.structure.replace("_", " "),
            rule=ref.rule,
            min_distance_mm=ref.min_distance_mm,
            citations=ref.citations,
        )
        for ref in target.danger
    )


def _precaution_details(planned: Sequence[PlannedTarget], rules: RuleSet) -> tuple[PlanPrecaution, ...]:
    """Each precaution once, with the rules, evidence and sources behind it and its targets."""
    by_text: dict[str, dict[str, list[str]]] = {}
    known = {r.id: r for r in rules.rules}
    for t in planned:
        for reason in t.reasons:
            rule = known.get(reason.rule_id)
            texts = rule.precautions if rule is not None and rule.precautions else (reason.text,)
            for text in texts:
                entry = by_text.setdefault(text, {"rules": [], "evidence": [], "citations": [], "targets": []})
                for key, values in (
                    ("rules", [reason.rule_id]),
                    ("evidence", [reason.evidence] if reason.evidence else []),
                    ("citations", list(reason.citations)),
                    ("targets", [t.label or t.name]),
                ):
                    entry[key].extend(v for v in values if v not in entry[key])
    return tuple(
        PlanPrecaution(
            text=text,
            rules=tuple(e["rules"]),
            evidence=tuple(e["evidence"]),
            citations=tuple(e["citations"]),
            targets=tuple(e["targets"]),
        )
        for text, e in by_text.items()
    )


def build_plan(req: PlanRequest, kb: KnowledgeBase | None = None) -> Plan:
    """Build the plan; unknown condition or target ids raise ``NotFound``.

    Nothing answered on the intake is never a silent go:

    >>> from datetime import date
    >>> plan = build_plan(PlanRequest(condition="lateral_elbow_tendinopathy", side="right", today=date(2026, 1, 5)))
    >>> plan.status, plan.reevaluate_on
    ('do_not_needle', datetime.date(2026, 2, 2))
    """
    kb = kb or load_kb()
    rules = load_rules()
    cond = get_condition(req.condition)
    excluded: list[Excluded] = []
    cands = _one_thorax_side(_candidates(cond, req, kb, excluded), kb, excluded)
    sites = [
        planned_target(kb.targets[c[0]], c[1], rules.noncompressible_targets, rules.noncompressible_depth_mm)
        for c in cands
    ]
    result = evaluate(req.intake, sites, on=req.today, kb=kb)
    body = req.body.with_intake(req.intake)
    notes = {t.target: t.note for t in cond.targets}
    us_only = {u.target for u in rules.ultrasound_only}
    planned: list[PlannedTarget] = []
    precautions: list[str] = []
    cites: list[str] = [r.citation for r in cond.evidence.reviews] + list(cond.dosing.citations)
    for (tid, side, source, score), site in zip(cands, sites, strict=True):
        tech, decision, prec, reasons = _choose(cond, tid, site, result)
        if tech is None:
            why = "; ".join(dict.fromkeys(r.text for r in reasons)) or "screening does not allow it"
            excluded.append(Excluded(target=tid, side=side, name=kb.targets[tid].name, why=f"do not needle: {why}"))
            continue
        if len(planned) >= req.max_targets:
            continue
        target = kb.targets[tid]
        needle = needle_guidance(target, body, kb)
        danger = _danger(target, kb)
        planned.append(
            PlannedTarget(
                rank=len(planned) + 1,
                target=tid,
                name=target.name,
                side=side,
                site=site.key,
                label=site.label,
                source=source,
                fit=fit_of(score) if score is not None else None,
                technique=tech,
                decision=decision,
                needle=needle,
                precautions=prec,
                reasons=reasons,
                danger=danger,
                condition_note=notes.get(tid),
                ultrasound_only=tid in us_only,
            )
        )
        precautions.extend(p for p in prec if p not in precautions)
        cites.extend(needle.citations)
        cites.extend(c for d in danger for c in d.citations)
        for r in reasons:
            cites.extend(r.citations)
    status: Literal["go", "caution", "do_not_needle"] = "do_not_needle"
    if planned:
        status = "caution" if any(p.decision == Decision.CAUTION for p in planned) else "go"
    uses_edn = any(p.technique == Technique.ELECTRICAL for p in planned)
    return Plan(
        condition=cond.id,
        condition_name=cond.name,
        status=status,
        targets=tuple(planned),
        excluded=tuple(excluded),
        dosing=cond.dosing,
        electrical=cond.electrical if uses_edn else None,
        precautions=tuple(precautions),
        precaution_details=_precaution_details(planned, rules),
        blocking_reasons=result.blocking_reasons(),
        missing_answers=result.missing_answers,
        warnings=result.warnings,
        evidence_grade=cond.evidence.grade,
        evidence_summary=cond.evidence.summary,
        red_flags=cond.red_flags,
        outcome_measures=cond.outcome_measures,
        reevaluate_on=req.today + timedelta(days=cond.dosing.reevaluate_after_days),
        screening=result,
        citations=tuple(dict.fromkeys(cites)),
    )


def plan_targets(plan: Plan) -> Sequence[str]:
    """Target ids in rank order (handy for faces and tests)."""
    return [t.target for t in plan.targets]
