"""The smallest set of trigger points that together explain the drawing.

Weighted set cover is NP-hard; the greedy rule (take the candidate with the most newly
explained pain per unit cost, repeat) is within a factor ln(n) of optimal and is what
clinicians do by hand. Cost falls as the score rises, so a strong pattern is preferred to a
weak one that happens to cover the same regions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .models import RankedTriggerPoint


def _cost(score: float) -> float:
    """Logistic in the score: about 1 for weak patterns, falling toward 0.2 for strong ones."""
    return 0.2 + 0.8 / (1 + math.exp(score / 4))


def greedy_cover(candidates: Sequence[RankedTriggerPoint], painted: Mapping[str, int]) -> list[RankedTriggerPoint]:
    """Pick trigger points until every explainable painted region is explained."""
    remaining = {rid for c in candidates for rid in c.explained if rid in painted}
    chosen: list[RankedTriggerPoint] = []
    used: set[tuple[str, str]] = set()
    while remaining:
        best: RankedTriggerPoint | None = None
        best_value = 0.0
        for cand in candidates:
            key = (cand.tp_id, cand.side.value)
            if key in used:
                continue
            gain = sum(painted[r] for r in cand.explained if r in remaining)
            if gain <= 0:
                continue
            value = gain / _cost(cand.score)
            if value > best_value + 1e-12:
                best, best_value = cand, value
        if best is None:
            break
        chosen.append(best)
        used.add((best.tp_id, best.side.value))
        remaining -= set(best.explained)
    return chosen
