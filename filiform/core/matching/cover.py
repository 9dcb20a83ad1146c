"""The smallest set of targets that together explain the drawing.

Weighted set cover is NP-hard; the greedy rule (take the candidate with the most newly
explained pain per unit cost, repeat) is within a factor ln(n) of optimal and is what
clinicians do by hand. Cost falls as the score rises, so a strong pattern is preferred to a
weak one that happens to cover the same regions. It runs on the short list only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar


class _Explains(Protocol):
    @property
    def score(self) -> float: ...
    @property
    def explained(self) -> tuple[str, ...]: ...


C = TypeVar("C", bound=_Explains)


def _cost(score: float) -> float:
    """Logistic in the score: about 1 for weak patterns, falling toward 0.2 for strong ones."""
    return 0.2 + 0.8 / (1 + math.exp(score / 4))


def _weight(value: Any) -> float:
    """Intensity of a painted region, given as a number or as anything with ``intensity``."""
    return float(getattr(value, "intensity", value))


def greedy_cover(candidates: Sequence[C], painted: Mapping[str, Any]) -> list[C]:
    """Pick candidates until every explainable painted region is explained."""
    weight = {r: _weight(v) for r, v in painted.items()}
    pool = [(cand, frozenset(r for r in cand.explained if r in weight), _cost(cand.score)) for cand in candidates]
    remaining = set().union(*(regions for _, regions, _ in pool)) if pool else set()
    chosen: list[C] = []
    while remaining:
        best_i, best_value = -1, 0.0
        for i, (_, regions, cost) in enumerate(pool):
            gain = sum(weight[r] for r in regions & remaining)
            if gain and gain / cost > best_value + 1e-12:
                best_i, best_value = i, gain / cost
        if best_i < 0:
            break
        cand, regions, _ = pool.pop(best_i)
        chosen.append(cand)
        remaining -= regions
    return chosen
