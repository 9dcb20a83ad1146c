"""Input and output of the referral-pattern matcher.

A *pain drawing* is a set of atlas regions, each with an intensity, the kind of symptom
(the standard pain-drawing symbols: ache, stabbing, burning, numbness, pins and needles),
whether it is felt deep or at the surface, and how much of the region the brush covered;
plus optional exam findings per muscle. The output ranks muscles (per side, by all their
trigger points together) with an explanation a clinician can check against the chart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from filiform.core.concepts import Side
from filiform.core.concepts.drawing import DEPTHS, SYMPTOM_KINDS, Depth, DrawnRegion, PainDrawing, SymptomKind
from filiform.core.concepts.finding import Finding

# The drawing types are shared concepts (one home: filiform/core/concepts/drawing.py),
# re-exported here because the matcher is where most callers meet them.
__all__ = [
    "DEPTHS",
    "SYMPTOM_KINDS",
    "Depth",
    "DrawnRegion",
    "Finding",
    "MatchResult",
    "PainDrawing",
    "RankedMuscle",
    "RankedTriggerPoint",
    "SymptomKind",
]


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
    """A target (muscle, or nerve) on one side, scored by the trigger points that best
    explain the drawing together (``tps``, one or more), with its shared rank."""

    muscle_id: str
    muscle_name: str
    side: Side
    score: float
    best_tp: str  # the first of ``tps``
    explained: tuple[str, ...]
    tps: tuple[str, ...] = ()
    rank: int = 0  # competition rank: equal scores share it
    kind: str = "muscle"  # muscle, nerve, or local (a tendon, ligament or periarticular site)
    unexplained: tuple[str, ...] = ()
    essential_hits: tuple[str, ...] = ()
    spillover_hits: tuple[str, ...] = ()
    local_hits: tuple[str, ...] = ()
    pattern_coverage: float = 0.0
    drawing_explained: float = 0.0
    reasons: tuple[str, ...] = ()  # symptom kind, depth, findings, prior: what moved the score


@dataclass(frozen=True)
class MatchResult:
    """Ranked targets (``muscles``), the smallest explaining set and what nothing explains.

    ``ranked`` (single trigger points on their own) is built only when asked for: the
    chart and the plan need the targets, not every trigger point's explanation.
    """

    muscles: list[RankedMuscle]
    cover: list[RankedMuscle]
    unexplained_by_any: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    nothing_explains: bool = False  # no pattern makes the drawing more likely than chance
    single_tps: Callable[[], list[RankedTriggerPoint]] = field(default=list, repr=False, compare=False)

    @cached_property
    def ranked(self) -> list[RankedTriggerPoint]:
        return self.single_tps()
