"""The safety engine: one entry point for screening, planning and session recording.

``evaluate(intake, planned_sites, circuits)`` gives a decision per technique, per planned
site (target and side) and per electrical circuit; the overall decision for a technique is
the most restrictive of all of them, so adding a risk factor can only add rules and never
relax a decision. Unanswered questions fire their own rules and are listed in
``missing_answers``; a question with no unknown-rule of its own still yields a caution, so
no gap in the data gives a go. Every reason names its rule, sources and the site in plain
words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from filiform.core.concepts import Technique
from filiform.core.kb.loader import KnowledgeBase, load_kb
from filiform.errors import ValidationFailed

from .circuits import CircuitPath, path_kinds
from .decision import CircuitDecision, Decision, Reason, ScreeningResult, SiteDecision, TechniqueDecision
from .intake import Intake
from .matching import circuit_applies, second_thorax_side, site_applies, unmatched_answers
from .questions import DATED_LISTS, FOLLOW_UPS, QUESTIONS, SITE_LISTS
from .rules import Rule, RuleSet, load_rules
from .sites import PlannedSite, planned_sites

__all__ = ["evaluate", "missing_answers", "screen", "sites_for_targets"]


def missing_answers(intake: Intake, sites: Sequence[PlannedSite] = ()) -> list[str]:
    """Questions still unanswered, skipping those the other answers make moot.

    Body mass matters only next to the chest wall and guardian consent only under 18, so
    they are listed when that applies (or when nothing is planned yet, for BMI never).
    """
    out: list[str] = []
    for name in QUESTIONS:
        value = getattr(intake, name)
        if value is not None and value != "unknown":
            continue
        parent = FOLLOW_UPS.get(name)
        if parent is not None and getattr(intake, parent[0]) != parent[1]:
            continue
        if name == "guardian_consent" and intake.age is not None and intake.age >= 18:
            continue
        if name == "bmi" and not any(s.lung_adjacent for s in sites):
            continue
        out.append(name)
    for list_name, parent_q in {**SITE_LISTS, **DATED_LISTS}.items():
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
        self.precautions.extend(p for p in precautions if p not in self.precautions)

    def merge(self, other: _Acc) -> None:
        self.reasons.extend(r for r in other.reasons if r not in self.reasons)
        self.precautions.extend(p for p in other.precautions if p not in self.precautions)
        if other.decision.severity > self.decision.severity:
            self.decision = other.decision

    def freeze(self, technique: Technique) -> TechniqueDecision:
        ordered = sorted(self.reasons, key=lambda r: -(r.decision.severity if r.decision else 1))
        return TechniqueDecision(
            technique=technique, decision=self.decision, reasons=tuple(ordered), precautions=tuple(self.precautions)
        )


def _reason(rule: Rule, decision: Decision, site: PlannedSite | None = None, prefix: str = "") -> Reason:
    return Reason(
        rule_id=rule.id,
        text=prefix + rule.text,
        citations=rule.citations,
        evidence=rule.evidence,
        site=site.label if site else None,
        site_key=site.key if site else None,
        overridable=rule.overridable,
        decision=decision,
    )


@dataclass
class _State:
    intake: Intake
    sites: Sequence[PlannedSite]
    circuits: Sequence[CircuitPath]
    on: date
    overall: dict[Technique, _Acc] = field(default_factory=lambda: {t: _Acc() for t in Technique})
    per_site: dict[str, dict[Technique, _Acc]] = field(default_factory=dict)
    per_circuit: dict[str, _Acc] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.per_site = {s.key: {t: _Acc() for t in Technique} for s in self.sites}
        self.per_circuit = {c.label: _Acc() for c in self.circuits}


def _apply(rule: Rule, st: _State, second_side: set[str]) -> None:
    scope = rule.technique_set()
    if rule.site is None and rule.circuit is None:
        for t in scope:
            st.overall[t].add(rule.decision, _reason(rule, rule.decision), rule.precautions)
        return
    targets_known = st.sites if rule.site is not None else st.circuits
    if not targets_known:
        if rule.when and rule.report_unplanned:  # a patient factor whose place is not planned yet: capped
            capped = Decision.CAUTION if rule.decision.severity > 1 else rule.decision
            for t in scope:
                st.overall[t].add(capped, _reason(rule, capped, prefix="Where it applies: "), rule.precautions)
        return
    if rule.site is not None:
        for site in st.sites:
            if site_applies(rule.site, site, st.intake, st.on, second_side):
                for t in scope:
                    st.per_site[site.key][t].add(rule.decision, _reason(rule, rule.decision, site), rule.precautions)
        return
    assert rule.circuit is not None
    for c in st.circuits:
        if circuit_applies(rule.circuit, c, st.intake):
            reason = _reason(rule, rule.decision).model_copy(update={"site": c.plain, "site_key": f"circuit:{c.label}"})
            st.per_circuit[c.label].add(rule.decision, reason, rule.precautions)


def _ultrasound(rules: RuleSet, st: _State, ultrasound: bool | None) -> None:
    """Targets that may be needled only under ultrasound guidance, per technique."""
    for site in st.sites:
        for entry in rules.ultrasound_only:
            if entry.target != site.target or ultrasound:
                continue
            decision = Decision.DO_NOT_NEEDLE if ultrasound is False else Decision.CAUTION
            reason = Reason(
                rule_id=f"ultrasound_only_{entry.target}",
                text=entry.text,
                citations=entry.citations,
                evidence=entry.evidence,
                site=site.label,
                site_key=site.key,
                overridable=False,
                decision=decision,
            )
            note = "Needle only under real-time ultrasound guidance, and record it with the session."
            for t in entry.techniques:
                st.per_site[site.key][t].add(decision, reason, (note,))


def _fallback(rules: RuleSet, missing: Sequence[str], st: _State) -> None:
    """A question without its own unknown-rule still never yields a go."""
    covered = {c.q for r in rules.rules for c in r.when if c.missing}
    for name in missing:
        if name not in covered and name not in SITE_LISTS and name not in DATED_LISTS:
            reason = Reason(
                rule_id="unanswered",
                text=f"Unanswered: {QUESTIONS.get(name, name)}",
                evidence="expert_opinion",
                decision=Decision.CAUTION,
            )
            for t in Technique:
                st.overall[t].add(Decision.CAUTION, reason, ("Complete the screening question before needling.",))


def _check_references(intake: Intake, kb: KnowledgeBase | None, on: date) -> None:
    if intake.muscle_injuries:
        kb = kb or load_kb()
        unknown = [i.target for i in intake.muscle_injuries if i.target not in kb.targets]
        if unknown:
            raise ValidationFailed(f"muscle_injuries names unknown target(s): {', '.join(unknown)}")
    late = [i.on for i in intake.corticosteroid_injections if i.on > on] + [
        i.on for i in intake.muscle_injuries if i.on > on
    ]
    if late:
        raise ValidationFailed(f"dates after the day of screening ({on.isoformat()}): {late[0].isoformat()}")


def evaluate(
    intake: Intake,
    planned: Sequence[PlannedSite] = (),
    circuits: Sequence[CircuitPath] = (),
    *,
    on: date | None = None,
    ultrasound: bool | None = None,
    rules: RuleSet | None = None,
    kb: KnowledgeBase | None = None,
) -> ScreeningResult:
    """Decide per technique, per planned site and per circuit whether needling may go ahead.

    ``on`` is the day of screening or session (dated answers count from it; default today).
    ``ultrasound``: True when real-time ultrasound guidance is used, False when it is not,
    None when not yet decided (ultrasound-only targets are then a caution, not a go).
    """
    rules = rules or load_rules()
    on = on or date.today()
    _check_references(intake, kb, on)
    labels = [c.label for c in circuits]
    if len(set(labels)) != len(labels):
        raise ValidationFailed("each circuit needs its own label")
    st = _State(intake=intake, sites=planned, circuits=circuits, on=on)
    second = second_thorax_side(planned)
    for rule in rules.rules:
        if rule.fires(intake):
            _apply(rule, st, second)
    _ultrasound(rules, st, ultrasound)
    missing = missing_answers(intake, planned)
    _fallback(rules, missing, st)
    return _freeze(st, missing, unmatched_answers(intake, planned, circuits))


def _freeze(st: _State, missing: Sequence[str], warnings: Sequence[str]) -> ScreeningResult:
    site_results: list[SiteDecision] = []
    for site in st.sites:
        accs = st.per_site[site.key]
        for t in Technique:
            accs[t].merge(st.overall[t])
        site_results.append(
            SiteDecision(
                site=site.key,
                label=site.label,
                target=site.target,
                side=site.side,
                techniques=tuple(accs[t].freeze(t) for t in Technique),
            )
        )
    circuit_results: list[CircuitDecision] = []
    for c in st.circuits:
        acc = st.per_circuit[c.label]
        acc.merge(st.overall[Technique.ELECTRICAL])
        frozen = acc.freeze(Technique.ELECTRICAL)
        circuit_results.append(
            CircuitDecision(
                label=c.label,
                path=c.plain,
                kinds=tuple(sorted(path_kinds(c))),
                decision=frozen.decision,
                reasons=frozen.reasons,
            )
        )
    for accs in st.per_site.values():
        for t in Technique:
            st.overall[t].merge(accs[t])
    for acc in st.per_circuit.values():
        st.overall[Technique.ELECTRICAL].merge(acc)
    return ScreeningResult(
        techniques=tuple(st.overall[t].freeze(t) for t in Technique),
        missing_answers=tuple(missing),
        sites=tuple(site_results),
        circuits=tuple(circuit_results),
        warnings=tuple(warnings),
    )


def screen(intake: Intake, sites: Sequence[PlannedSite] = (), rules: RuleSet | None = None) -> ScreeningResult:
    """The same engine, for callers that plan no circuits (kept for existing callers).

    An unanswered intake is never a go:

    >>> screen(Intake()).for_technique("trigger_point_dn").decision.value
    'do_not_needle'
    """
    return evaluate(intake, sites, rules=rules)


def sites_for_targets(kb: KnowledgeBase, targets: Iterable[tuple[str, str | None]]) -> list[PlannedSite]:
    """Planned sites for ``(target_id, side)`` pairs; unknown ids raise ``NotFound``."""
    return planned_sites(kb, targets)
