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
    """Why a rule fired: the rule id, a plain sentence, the citation ids and the site.

    ``site`` is plain words for a clinician ("Rhomboid major, left"); ``site_key`` is the
    machine id of the planned site. Text never carries raw ids. ``overridable`` is False
    for rules no written reason can set aside (no consent, a prohibited site, the second
    side of the thorax). Fields after ``evidence`` were added compatibly.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_id: str
    text: str
    citations: tuple[str, ...] = ()
    evidence: str | None = None
    site: str | None = None
    site_key: str | None = None
    overridable: bool = True
    decision: Decision | None = None  # the rule's own decision (None in snapshots taken before it was kept)

    @property
    def shown(self) -> str:
        """The sentence with its site, as a clinician reads it."""
        return f"{self.site}: {self.text}" if self.site else self.text


class TechniqueDecision(BaseModel):
    """The decision for one technique, with reasons and the precautions to take."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    technique: Technique
    decision: Decision
    reasons: tuple[Reason, ...] = ()
    precautions: tuple[str, ...] = ()


class SiteDecision(BaseModel):
    """Per-technique decisions for one planned site.

    ``site`` is the machine key (``rhomboid_major:left``, ``site:left:knee_joint``) and
    ``label`` the plain words; the other fields were added compatibly.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    site: str
    label: str = ""
    target: str | None = None
    side: str | None = None
    techniques: tuple[TechniqueDecision, ...]

    @property
    def decision(self) -> Decision:
        return max((t.decision for t in self.techniques), key=lambda d: d.severity, default=Decision.GO)


class CircuitDecision(BaseModel):
    """The decision for one electrical circuit (a lead pair) and what its path crosses."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    path: str
    kinds: tuple[str, ...] = ()
    decision: Decision
    reasons: tuple[Reason, ...] = ()


class ScreeningResult(BaseModel):
    """Per-technique decisions plus the questions left unanswered (never a silent go).

    ``techniques`` is the overall decision: the most restrictive of the patient-wide rules
    and of every screened site, so a service that only reads it never misses a site block.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    techniques: tuple[TechniqueDecision, ...]
    missing_answers: tuple[str, ...] = ()
    sites: tuple[SiteDecision, ...] = ()
    circuits: tuple[CircuitDecision, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def decision(self) -> Decision:
        """The most restrictive decision over every technique (and so every site and circuit)."""
        return max((t.decision for t in self.techniques), key=lambda d: d.severity, default=Decision.GO)

    def blocking_reasons(self) -> tuple[Reason, ...]:
        """Every reason whose rule says do not needle, once each, in the order found."""
        out: list[Reason] = []
        for td in self.techniques:
            out.extend(r for r in td.reasons if r.decision == Decision.DO_NOT_NEEDLE and r not in out)
        for cd in self.circuits:
            out.extend(r for r in cd.reasons if r.decision == Decision.DO_NOT_NEEDLE and r not in out)
        return tuple(out)

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
