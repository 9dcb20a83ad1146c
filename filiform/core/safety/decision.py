"""The shape of a screening decision, shared by the engine, the records and the faces.

Kept apart from the engine so storage can snapshot a decision (as JSON) and services can
check it without knowing how it was computed.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Technique(StrEnum):
    """Needling techniques Filiform knows; values are stable ids used in data and records."""

    TRIGGER_POINT = "trigger_point_dn"
    STATIC = "static_dn"
    TENDON_FENESTRATION = "tendon_fenestration"
    PERINEURAL = "perineural"
    PERIARTICULAR = "periarticular"
    SUPERFICIAL = "superficial_dn"
    ELECTRICAL = "electrical_dn"


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


class TechniqueDecision(BaseModel):
    """The decision for one technique, with reasons and the precautions to take."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    technique: Technique
    decision: Decision
    reasons: tuple[Reason, ...] = ()
    precautions: tuple[str, ...] = ()


class ScreeningResult(BaseModel):
    """Per-technique decisions plus the questions left unanswered (never a silent go)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    techniques: tuple[TechniqueDecision, ...]
    missing_answers: tuple[str, ...] = ()

    def for_technique(self, technique: Technique | str) -> TechniqueDecision:
        wanted = Technique(technique)
        for item in self.techniques:
            if item.technique == wanted:
                return item
        raise KeyError(wanted.value)

    def allows(self, technique: Technique | str) -> bool:
        """True when the technique may go ahead (go, or caution with precautions)."""
        return self.for_technique(technique).decision != Decision.DO_NOT_NEEDLE
