"""Screening rules as data: a condition on intake answers gives a decision per technique.

Rules live in ``filiform/data/screening/rules.yaml`` so a clinician can read and review
them without reading Python. Every rule carries its evidence level and a source: citations
(checked against the knowledge base) or, for expert consensus, a ``source_note`` saying
what the rule rests on. A rule without either is refused when the file loads.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from filiform.core.concepts import Technique
from filiform.core.concepts.site import SiteAnswer, SiteTag
from filiform.core.kb.models import Id, Strict, Text
from filiform.core.kb.yaml_source import Issue, load_document
from filiform.errors import KnowledgeBaseError

from .circuits import PathKind
from .decision import Decision
from .intake import Intake
from .questions import DATED_LISTS, SITE_LISTS

Evidence = Literal[
    "systematic_review",
    "narrative_review",
    "observational",
    "case_report",
    "guideline_secondary",
    "low_quality_source",
    "expert_opinion",
]
_QUESTIONS = set(Intake.model_fields)
_LISTS = set(SITE_LISTS) | {"corticosteroid_injections"}


class Clause(Strict):
    """One test on one answer. ``missing`` matches an unanswered question."""

    q: str
    eq: str | int | None = None
    any_of: tuple[str | int, ...] = ()
    none_of: tuple[str | int, ...] = ()
    gt: float | None = None
    lt: float | None = None
    missing: bool = False

    @model_validator(mode="after")
    def _one_test(self) -> Clause:
        if self.q not in _QUESTIONS:
            raise ValueError(f"unknown question '{self.q}'")
        tests = [
            self.eq is not None,
            bool(self.any_of),
            bool(self.none_of),
            self.gt is not None,
            self.lt is not None,
            self.missing,
        ]
        if sum(tests) != 1:
            raise ValueError("a clause needs exactly one of eq, any_of, none_of, gt, lt, missing")
        return self

    def holds(self, intake: Intake) -> bool:
        value = getattr(intake, self.q)
        if self.missing:
            return value is None or value == "unknown"
        if self.eq is not None:
            return bool(value == self.eq)
        if self.any_of:
            return value in self.any_of
        if self.none_of:
            return value not in self.none_of
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        if self.gt is not None:
            return value > self.gt
        return self.lt is not None and value < self.lt


class SiteFilter(Strict):
    """Restricts a rule to some planned sites. All given keys must match."""

    lung_adjacent: bool | None = None
    compressible: bool | None = None
    deep_or_spinal: bool = False
    tags: tuple[SiteTag, ...] = ()
    sites: tuple[SiteAnswer, ...] = ()
    targets: tuple[Id, ...] = ()
    kinds: tuple[Literal["muscle", "tendon", "nerve", "periarticular", "scar"], ...] = ()
    sites_from: str | None = None
    near_sites_from: str | None = None
    within_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    injured_muscle_within_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    thorax_second_side: bool = False

    @model_validator(mode="after")
    def _known(self) -> SiteFilter:
        for name in (self.sites_from, self.near_sites_from):
            if name is not None and name not in _LISTS:
                raise ValueError(f"sites_from and near_sites_from must be one of {sorted(_LISTS)}")
        if self.within_days is not None and self.sites_from not in DATED_LISTS:
            raise ValueError("within_days needs sites_from naming a dated list")
        return self


class CircuitFilter(Strict):
    """Restricts a rule to electrical circuits whose path crosses one of ``paths`` (or any)."""

    paths: tuple[PathKind, ...] = ()
    near_sites_from: str | None = None
    outside_taught_range: bool = False

    @model_validator(mode="after")
    def _known(self) -> CircuitFilter:
        if self.near_sites_from is not None and self.near_sites_from not in SITE_LISTS:
            raise ValueError(f"near_sites_from must be one of {sorted(SITE_LISTS)}")
        return self


class Rule(Strict):
    id: Id
    when: tuple[Clause, ...] = ()
    site: SiteFilter | None = None
    circuit: CircuitFilter | None = None
    techniques: Annotated[tuple[str, ...], Field(min_length=1)]
    decision: Decision
    text: Text
    precautions: tuple[str, ...] = ()
    evidence: Evidence
    source_note: Annotated[str, Field(min_length=12)] | None = None
    citations: tuple[Id, ...] = ()
    overridable: bool = True
    report_unplanned: bool = True

    @model_validator(mode="after")
    def _sound(self) -> Rule:
        allowed = {t.value for t in Technique} | {"all"}
        bad = [t for t in self.techniques if t not in allowed]
        if bad:
            raise ValueError(f"unknown technique(s) {bad}; use ids from Technique or 'all'")
        if not self.when and self.site is None and self.circuit is None:
            raise ValueError("a rule without conditions must be limited to sites or circuits")
        if self.site is not None and self.circuit is not None:
            raise ValueError("a rule applies to sites or to circuits, not both")
        if not self.citations and not self.source_note:
            raise ValueError("a rule needs a source: citations, or a source_note saying what it rests on")
        if self.decision == Decision.GO:
            raise ValueError("rules restrict; 'go' is what remains when none fires")
        return self

    def technique_set(self) -> frozenset[Technique]:
        """The techniques the rule covers. ``electrical_dn`` stands for every technique that
        passes a current through the needle (PENS, percutaneous electrolysis), so an
        electrical contraindication can never miss a newer electrical technique."""
        if "all" in self.techniques:
            return frozenset(Technique)
        chosen = {Technique(t) for t in self.techniques}
        if Technique.ELECTRICAL in chosen:
            chosen |= {t for t in Technique if t.is_electrical}
        return frozenset(chosen)

    def fires(self, intake: Intake) -> bool:
        return all(c.holds(intake) for c in self.when)


class UltrasoundOnly(Strict):
    """A target that may be needled (with these techniques) only under ultrasound guidance."""

    target: Id
    techniques: Annotated[tuple[Technique, ...], Field(min_length=1)]
    text: Text
    evidence: Evidence
    citations: Annotated[tuple[Id, ...], Field(min_length=1)]


class RuleSet(Strict):
    version: int
    noncompressible_targets: tuple[Id, ...] = ()
    noncompressible_depth_mm: Annotated[float, Field(gt=0, le=120)]
    ultrasound_only: tuple[UltrasoundOnly, ...] = ()
    rules: Annotated[tuple[Rule, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique(self) -> RuleSet:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"duplicate rule id '{rule.id}'")
            seen.add(rule.id)
        return self

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


def load_rules_with_issues() -> tuple[RuleSet | None, list[Issue], Any]:
    """Parse and validate the shipped rules; returns (rules, issues, source doc)."""
    path = resources.files("filiform.data").joinpath("screening/rules.yaml")
    return load_document(path, "screening/rules.yaml", RuleSet)


@lru_cache(maxsize=1)
def load_rules() -> RuleSet:
    """The shipped rule set; raises with every located problem if it is malformed."""
    rules, issues, _ = load_rules_with_issues()
    if rules is None or issues:
        raise KnowledgeBaseError("screening rules are invalid", details=[str(i) for i in issues])
    return rules
