"""Output of the referral-pattern matcher: trigger points ranked per side, with reasons.

The input, a pain drawing with optional exam findings, is a shared concept
(:class:`filiform.core.concepts.PainDrawing`, :class:`filiform.core.concepts.Finding`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from filiform.core.concepts import Side


@dataclass(frozen=True)
class RankedTriggerPoint:
    """A trigger point on one side, scored against the drawing, with its reasons."""

    tp_id: str
    muscle_id: str
    muscle_name: str
    label: str
    side: Side
    score: float
    pattern_coverage: float  # share of the pattern's zones that are painted (weighted)
    drawing_explained: float  # share of the drawing's intensity this pattern explains
    essential_hits: tuple[str, ...]
    spillover_hits: tuple[str, ...]
    local_hits: tuple[str, ...]
    unexplained: tuple[str, ...]
    explained: tuple[str, ...] = ()  # every drawn region this pattern accounts for, sorted
    findings_applied: tuple[str, ...] = ()
    prior: float = 1.0


@dataclass(frozen=True)
class RankedMuscle:
    """A muscle's best trigger point on one side."""

    muscle_id: str
    muscle_name: str
    side: Side
    score: float
    best_tp: str
    explained: tuple[str, ...]


@dataclass(frozen=True)
class MatchResult:
    ranked: list[RankedTriggerPoint]
    muscles: list[RankedMuscle]
    cover: list[RankedTriggerPoint]
    unexplained_by_any: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
