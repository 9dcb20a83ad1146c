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
    pool = [(cand, frozenset(r for r in cand.explained if r in painted), _cost(cand.score)) for cand in candidates]
    remaining = set().union(*(regions for _, regions, _ in pool)) if pool else set()
    chosen: list[RankedTriggerPoint] = []
    while remaining:
        best_i, best_value = -1, 0.0
        for i, (_, regions, cost) in enumerate(pool):
            gain = sum(painted[r] for r in regions & remaining)
            if gain and gain / cost > best_value + 1e-12:
                best_i, best_value = i, gain / cost
        if best_i < 0:
            break
        cand, regions, _ = pool.pop(best_i)
        chosen.append(cand)
        remaining -= regions
    return chosen
