"""Screening engine: intake answers (and planned sites) to a decision per technique.

The decision for a technique is the most restrictive decision of every rule that fires,
so adding a risk factor can only add rules and never relax a decision. Unanswered
questions fire their own rules and are listed in ``missing_answers``; a question with no
unknown-rule of its own still yields a caution here, so no gap in the data gives a go.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from filiform.core.concepts import Technique
from filiform.core.kb.loader import KnowledgeBase
from filiform.core.kb.models import Target

from .decision import Decision, Reason, ScreeningResult, SiteDecision, TechniqueDecision
from .intake import QUESTIONS, SITE_LISTS, Intake, Site, site_matches
from .rules import Rule, RuleSet, load_rules

_RELEVANT_IF: dict[str, tuple[str, object]] = {
    "inr": ("anticoagulant", "vka"),
    "pregnancy_trimester": ("pregnant", "yes"),
    "epilepsy_controlled": ("epilepsy", "yes"),
}


def missing_answers(intake: Intake) -> list[str]:
    """Questions still unanswered, skipping follow-ups whose parent answer makes them moot."""
    out: list[str] = []
    for name in QUESTIONS:
        value = getattr(intake, name)
        if value is not None and value != "unknown":
            continue
        parent = _RELEVANT_IF.get(name)
        if parent is not None and getattr(intake, parent[0]) != parent[1]:
            continue
        out.append(name)
    for list_name, parent_q in SITE_LISTS.items():
        if getattr(intake, parent_q) == "yes" and not getattr(intake, list_name):
            out.append(list_name)
    return out


@dataclass
class _Acc:
    """Accumulates one technique's decision, reasons and precautions."""

    decision: Decision = Decision.GO
    reasons: list[Reason] = field(default_factory=list)
    precautions: list[str] = field(default_factory=list)

    def add(self, decision: Decision, reason: Reason, precautions: Iterable[str]) -> None:
        if decision.severity > self.decision.severity:
            self.decision = decision
        if reason not in self.reasons:
            self.reasons.append(reason)
        for p in precautions:
            if p not in self.precautions:
                self.precautions.append(p)

    def merge(self, other: _Acc) -> None:
        for reason in other.reasons:
            if reason not in self.reasons:
                self.reasons.append(reason)
        for p in other.precautions:
            if p not in self.precautions:
                self.precautions.append(p)
        if other.decision.severity > self.decision.severity:
            self.decision = other.decision

    def freeze(self, technique: Technique) -> TechniqueDecision:
        return TechniqueDecision(
            technique=technique,
            decision=self.decision,
            reasons=tuple(self.reasons),
            precautions=tuple(self.precautions),
        )


def _reason(rule: Rule, prefix: str = "") -> Reason:
    return Reason(rule_id=rule.id, text=prefix + rule.text, citations=rule.citations, evidence=rule.evidence)


def _site_applies(rule: Rule, site: Site, intake: Intake, sites: Sequence[Site]) -> bool:
    f = rule.site
    if f is None:
        return True
    if f.lung_adjacent is not None and site.lung_adjacent != f.lung_adjacent:
        return False
    if f.compressible is not None and site.compressible != f.compressible:
        return False
    if f.areas and not any(site_matches(site, a) for a in f.areas):
        return False
    if f.thorax_both_sides:
        sides = {s.side for s in sites if s.lung_adjacent}
        if not (site.lung_adjacent and {"left", "right"} <= sides):
            return False
    if f.sites_from is not None:
        listed: tuple[str, ...] = getattr(intake, f.sites_from)
        # No sites given although the answer is yes: apply everywhere (err towards safety).
        return not listed or any(site_matches(site, a) for a in listed)
    return True


def _apply(
    fired: Sequence[Rule],
    intake: Intake,
    sites: Sequence[Site],
    overall: dict[Technique, _Acc],
    per_site: dict[str, dict[Technique, _Acc]],
) -> None:
    for rule in fired:
        scope = rule.technique_set()
        if rule.site is None:
            for t in scope:
                overall[t].add(rule.decision, _reason(rule), rule.precautions)
        elif not sites:
            if rule.site.thorax_both_sides:
                continue  # a session rule: meaningless until sites are planned
            # Site not known yet: report the rule, capped at caution, so it is not lost.
            capped = Decision.CAUTION if rule.decision.severity > 1 else rule.decision
            for t in scope:
                overall[t].add(capped, _reason(rule, "Where it applies: "), rule.precautions)
        else:
            for site in sites:
                if _site_applies(rule, site, intake, sites):
                    for t in scope:
                        per_site[site.label][t].add(rule.decision, _reason(rule, f"[{site.label}] "), rule.precautions)


def _fallback(intake: Intake, rules: RuleSet, missing: Sequence[str], overall: dict[Technique, _Acc]) -> None:
    """A question without its own unknown-rule still never yields a go."""
    covered = {c.q for r in rules.rules for c in r.when if c.missing}
    for name in missing:
        if name not in covered and name not in SITE_LISTS:
            fallback = Reason(
                rule_id="unanswered", text=f"Unanswered: {QUESTIONS.get(name, name)}", evidence="expert_opinion"
            )
            for t in Technique:
                overall[t].add(Decision.CAUTION, fallback, ("Complete the screening question before needling.",))


def screen(intake: Intake, sites: Sequence[Site] = (), rules: RuleSet | None = None) -> ScreeningResult:
    """Decide, per technique (and per planned site), whether needling may go ahead.

    An unanswered intake is never a go:

    >>> screen(Intake()).for_technique("trigger_point_dn").decision.value
    'do_not_needle'
    """
    rules = rules or load_rules()
    overall = {t: _Acc() for t in Technique}
    per_site = {s.label: {t: _Acc() for t in Technique} for s in sites}
    _apply([r for r in rules.rules if r.fires(intake)], intake, sites, overall, per_site)
    missing = missing_answers(intake)
    _fallback(intake, rules, missing, overall)
    site_results: list[SiteDecision] = []
    for site in sites:
        accs = per_site[site.label]
        for t in Technique:
            glob = overall[t]
            accs[t].merge(_Acc(glob.decision, list(glob.reasons), list(glob.precautions)))
        site_results.append(SiteDecision(site=site.label, techniques=tuple(accs[t].freeze(t) for t in Technique)))
    for accs in per_site.values():
        for t in Technique:
            overall[t].merge(accs[t])
    return ScreeningResult(
        techniques=tuple(overall[t].freeze(t) for t in Technique),
        missing_answers=tuple(missing),
        sites=tuple(site_results),
    )


def site_for_target(target: Target, side: str | None, rules: RuleSet | None = None) -> Site:
    """Describe a knowledge-base target as a screening site (lung, compressibility)."""
    rules = rules or load_rules()
    deepest = max(a.depth_mm.max_mm for a in target.needling)
    compressible = target.id not in rules.noncompressible_targets and deepest < rules.noncompressible_depth_mm
    return Site(
        area=target.body_area,
        side=side if side in ("left", "right") else None,
        target=target.id,
        lung_adjacent=target.lung_adjacent,
        compressible=compressible,
    )


def sites_for_targets(kb: KnowledgeBase, targets: Iterable[tuple[str, str | None]]) -> list[Site]:
    """Sites for ``(target_id, side)`` pairs; unknown ids raise ``NotFound``."""
    rules = load_rules()
    return [site_for_target(kb.target(tid), side, rules) for tid, side in targets]
