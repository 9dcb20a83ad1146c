"""The smallest set of targets that together explain the drawing.

Weighted set cover is NP-hard; the greedy rule (take the candidate with the most newly
explained pain per unit cost, repeat) is within a factor ln(n) of optimal and is what
clinicians do by hand. Cost falls as the score rises, so a strong pattern is preferred to a
weak one that happens to cover the same regions. It runs on the short list only.
"""

from __future__ import annotations

import heapq
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
    """Pick candidates until every explainable painted region is explained.

    Lazy greedy: a candidate's value (newly explained intensity per unit cost) can only fall
    as regions get explained, so values are kept in a heap and only the one on top is
    refreshed; a refreshed value on top is the true best. Same choices as recomputing every
    value each round (ties go to the earlier candidate), in far fewer sums.
    """
    weight = {r: _weight(v) for r, v in painted.items()}
    painted_ids = weight.keys()
    pool = [(cand, painted_ids & set(cand.explained), _cost(cand.score)) for cand in candidates]
    remaining = set().union(*(regions for _, regions, _ in pool)) if pool else set()
    version = 0
    heap = [
        (-sum(weight[r] for r in regions) / cost, i, version) for i, (_, regions, cost) in enumerate(pool) if regions
    ]
    heapq.heapify(heap)
    chosen: list[C] = []
    while remaining and heap:
        _, i, seen = heapq.heappop(heap)
        cand, regions, cost = pool[i]
        if seen == version:
            chosen.append(cand)
            remaining -= regions
            version += 1
            continue
        gain = sum(weight[r] for r in regions & remaining)
        if gain:
            heapq.heappush(heap, (-gain / cost, i, version))
    return chosen


def greedy_cover_hits(
    hits: Sequence[tuple[str, ...]],
    scores: Sequence[float],
    weight: Mapping[str, float],
    gains: Sequence[float] | None = None,
) -> list[int]:
    """:func:`greedy_cover` for the engine's short list, without a candidate object each: the
    candidates are given by the painted regions each explains (``hits``, all of them painted,
    of intensity ``weight``; ``gains``, if given, their summed intensity) and their
    ``scores``, best first; returns the positions chosen, in the order chosen. Same rule,
    same ties, same choices (property test). Intensities are whole numbers, so a sum is the
    same whichever way it was added up."""
    costs = list(map(_cost, scores))
    if gains is None:
        gains = [sum(map(weight.__getitem__, h)) for h in hits]
    heap = [(-g / costs[i], i, 0) for i, g in enumerate(gains) if g]
    heapq.heapify(heap)
    remaining = set().union(*hits)
    version = 0
    chosen: list[int] = []
    while remaining and heap:
        _, i, seen = heapq.heappop(heap)
        if seen == version:
            chosen.append(i)
            remaining.difference_update(hits[i])
            version += 1
            continue
        gain = sum(weight[r] for r in hits[i] if r in remaining)
        if gain:
            heapq.heappush(heap, (-gain / costs[i], i, version))
    return chosen
