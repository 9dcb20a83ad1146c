"""The shape of a screening decision, shared by the engine, the records and the faces.

Kept apart from the engine so storage can snapshot a decision (as JSON) and services can
check it without knowing how it was computed.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from filiform.core.concepts.technique import Technique


class Decision(StrEnum):
    """Ordered from least to most restrictive; ``severity`` gives the order."""

    GO = "go"
    CAUTION = "caution"
    DO_NOT_NEEDLE = "do_not_needle"

    @property
    def severity(self) -> int:
        return {"go": 0, "caution": 1, "do_not_needle": 2}[self.value]


class Reason(BaseModel):
    """Why a rule fired: the rule id, a plain sentence and the citation ids behind it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_id: str
    text: str
    citations: tuple[str, ...] = ()
    evidence: str | None = None  # added compatibly: how strong the source behind the rule is


class TechniqueDecision(BaseModel):
    """The decision for one technique, with reasons and the precautions to take."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    technique: Technique
    decision: Decision
    reasons: tuple[Reason, ...] = ()
    precautions: tuple[str, ...] = ()


class SiteDecision(BaseModel):
    """Per-technique decisions for one planned site (``target@side:area`` or ``side:area``).

    Added compatibly: older snapshots without sites still load.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    site: str
    techniques: tuple[TechniqueDecision, ...]


class ScreeningResult(BaseModel):
    """Per-technique decisions plus the questions left unanswered (never a silent go).

    ``techniques`` is the overall decision: the most restrictive of the patient-wide rules
    and of every screened site, so a service that only reads it never misses a site block.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    techniques: tuple[TechniqueDecision, ...]
    missing_answers: tuple[str, ...] = ()
    sites: tuple[SiteDecision, ...] = ()

    def for_site(self, site: str, technique: Technique | str) -> TechniqueDecision:
        """The decision for one technique at one screened site."""
        wanted = Technique(technique)
        for entry in self.sites:
            if entry.site == site:
                for item in entry.techniques:
                    if item.technique == wanted:
                        return item
        raise KeyError(f"{site}/{wanted.value}")

    def for_technique(self, technique: Technique | str) -> TechniqueDecision:
        wanted = Technique(technique)
        for item in self.techniques:
            if item.technique == wanted:
                return item
        raise KeyError(wanted.value)

    def allows(self, technique: Technique | str) -> bool:
        """True when the technique may go ahead (go, or caution with precautions)."""
        return self.for_technique(technique).decision != Decision.DO_NOT_NEEDLE
