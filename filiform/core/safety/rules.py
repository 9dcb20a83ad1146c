"""Screening rules as data: a condition on intake answers gives a decision per technique.

Rules live in ``filiform/data/screening/rules.yaml`` so a clinician can read and review
them without reading Python, and every rule carries its evidence level and citations (or,
for expert opinion, a note naming the unconfirmed source).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from filiform.core.concepts import Technique
from filiform.core.kb.models import Id, Strict, Text
from filiform.core.kb.yaml_source import Issue, load_document
from filiform.errors import KnowledgeBaseError

from .decision import Decision
from .intake import SITE_LISTS, SITE_PATTERN, Intake

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


class Clause(Strict):
    """One test on one answer. ``missing`` matches an unanswered question."""

    q: str
    eq: str | int | None = None
    any_of: tuple[str | int, ...] = ()
    gt: float | None = None
    lt: float | None = None
    missing: bool = False

    @model_validator(mode="after")
    def _one_test(self) -> Clause:
        if self.q not in _QUESTIONS:
            raise ValueError(f"unknown question '{self.q}'")
        tests = [self.eq is not None, bool(self.any_of), self.gt is not None, self.lt is not None, self.missing]
        if sum(tests) != 1:
            raise ValueError("a clause needs exactly one of eq, any_of, gt, lt, missing")
        return self

    def holds(self, intake: Intake) -> bool:
        value = getattr(intake, self.q)
        if self.missing:
            return value is None or value == "unknown"
        if self.eq is not None:
            return bool(value == self.eq)
        if self.any_of:
            return value in self.any_of
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        if self.gt is not None:
            return value > self.gt
        return self.lt is not None and value < self.lt


class SiteFilter(Strict):
    """Restricts a rule to some sites. All given keys must match."""

    lung_adjacent: bool | None = None
    compressible: bool | None = None
    areas: tuple[Annotated[str, Field(pattern=SITE_PATTERN)], ...] = ()
    sites_from: str | None = None
    thorax_both_sides: bool = False

    @model_validator(mode="after")
    def _known_list(self) -> SiteFilter:
        if self.sites_from is not None and self.sites_from not in SITE_LISTS:
            raise ValueError(f"sites_from must be one of {sorted(SITE_LISTS)}")
        return self


class Rule(Strict):
    id: Id
    when: tuple[Clause, ...] = ()
    site: SiteFilter | None = None
    techniques: Annotated[tuple[str, ...], Field(min_length=1)]
    decision: Decision
    text: Text
    precautions: tuple[str, ...] = ()
    evidence: Evidence
    source_note: str | None = None
    citations: tuple[Id, ...] = ()

    @model_validator(mode="after")
    def _sound(self) -> Rule:
        allowed = {t.value for t in Technique} | {"all"}
        bad = [t for t in self.techniques if t not in allowed]
        if bad:
            raise ValueError(f"unknown technique(s) {bad}; use ids from Technique or 'all'")
        if not self.when and self.site is None:
            raise ValueError("a rule without conditions must be limited to sites")
        if not self.citations and not self.source_note:
            raise ValueError("a rule needs citations, or a source_note saying why it has none")
        if self.decision == Decision.GO:
            raise ValueError("rules restrict; 'go' is what remains when none fires")
        return self

    def technique_set(self) -> frozenset[Technique]:
        if "all" in self.techniques:
            return frozenset(Technique)
        return frozenset(Technique(t) for t in self.techniques)

    def fires(self, intake: Intake) -> bool:
        return all(c.holds(intake) for c in self.when)


class RuleSet(Strict):
    version: int
    noncompressible_targets: tuple[Id, ...] = ()
    noncompressible_depth_mm: Annotated[float, Field(gt=0, le=120)]
    rules: Annotated[tuple[Rule, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique(self) -> RuleSet:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"duplicate rule id '{rule.id}'")
            seen.add(rule.id)
        return self


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
