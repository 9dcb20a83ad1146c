"""Rank targets (muscles by all their trigger points together, and nerves) for a pain drawing.

The score of a hypothesis (see index.py) is a log-likelihood ratio (natural log) of the
drawing under "this target refers the pain" against a background model in which any region
is painted at a low base rate. Each zone region is a Bernoulli observation: painted with
probability 0.8 in an essential zone, 0.4 in a spillover zone, 0.5 over the target itself,
0.02 in the background. A painted zone region adds ``log(p / 0.02)`` times its evidence
weight; an unpainted one adds ``log((1 - p) / 0.98)`` (negative), so a large pattern that is
mostly unpainted is penalised. A region the brush covered only in part counts in proportion.

The evidence weight of a painted region is ``0.5 + 0.05 x intensity`` times a factor for its
symptom kind and one for its depth, which differ between superficial muscles, deep muscles
and nerve or peri-neural targets (docs/matching.md gives the values and their sources). A
muscle scores as the best combination of its trigger points, each further trigger point
costing ``log(0.5)``. Priors and exam findings add log-odds. Only targets whose score is
above zero (the drawing is likelier under them than by chance) are ranked; equal scores
share a rank.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Mapping
from functools import lru_cache

import numpy as np

from filiform.core.atlas.build import load_atlas
from filiform.core.atlas.model import Atlas
from filiform.core.concepts import Side
from filiform.core.kb.loader import KnowledgeBase, load_kb
from filiform.errors import ValidationFailed

from .cover import greedy_cover
from .explain import Painted, explain_group, explain_tp, findings_by_key, notes
from .index import CLASSES, MatchIndex
from .models import MatchResult, PainDrawing, RankedTriggerPoint

# Evidence factor per symptom kind, for each family of target (muscle, peri-neural muscle, nerve).
KIND_WEIGHT: dict[str, dict[str, float]] = {
    "ache": {"muscle": 1.0, "perineural": 1.0, "nerve": 0.5},
    "stabbing": {"muscle": 0.8, "perineural": 0.8, "nerve": 0.8},
    "burning": {"muscle": 0.6, "perineural": 1.0, "nerve": 1.0},
    "pins_and_needles": {"muscle": 0.5, "perineural": 1.0, "nerve": 1.0},
    "numbness": {"muscle": 0.5, "perineural": 1.0, "nerve": 1.0},
}
# Evidence factor per marked depth, for superficial muscles, deep muscles and nerves
# (a depth not marked counts 1 for all).
DEPTH_WEIGHT: dict[str, dict[str, float]] = {
    "deep": {"superficial": 0.75, "deep": 1.0, "nerve": 0.9},
    "surface": {"superficial": 1.0, "deep": 0.75, "nerve": 1.0},
}
# Log-odds added per positive exam finding. Expert-set and deliberately modest: manual
# trigger-point palpation has poor inter-examiner reliability, so findings nudge, not decide.
FINDING_WEIGHTS: dict[str, float] = {
    "recognised_pain": 1.0,
    "twitch_response": 0.7,
    "spot_tenderness": 0.5,
    "taut_band": 0.5,
    "weakness": 0.2,
    "restricted_range": 0.2,
}
COVER_POOL = 25  # the set cover chooses among this many best-scored targets
TIE = 6  # decimals: scores equal to this precision share a rank


def evidence_weights(region: Painted) -> np.ndarray:
    """The painted region's evidence weight for each hypothesis class (index.CLASSES)."""
    scale = 0.5 + 0.05 * region.intensity
    kind = KIND_WEIGHT[region.kind]
    depth = DEPTH_WEIGHT.get(region.depth or "")
    return np.array(
        [scale * kind[family] * (depth[level] if depth else 1.0) for family, level in CLASSES], dtype=np.float64
    )


class MatchEngine:
    """Scores every hypothesis touched by the drawing with a few vector additions."""

    def __init__(self, kb: KnowledgeBase, atlas: Atlas) -> None:
        self.kb = kb
        self.atlas = atlas
        self.index = MatchIndex(kb, atlas)

    def scores(self, painted: Mapping[str, Painted]) -> tuple[np.ndarray, np.ndarray]:
        """(touched hypothesis rows, their scores)."""
        index = self.index
        touched = [index.columns[rid] for rid in painted if rid in index.columns]
        if not touched:
            return np.empty(0, dtype=np.int64), np.empty(0)
        rows = np.unique(np.concatenate([col.rows for col in touched]))
        scores = index.base.copy()
        for rid, region in painted.items():
            col = index.columns.get(rid)
            if col is not None:
                weights = evidence_weights(region)
                scores[col.rows] += region.coverage * (col.gain * weights[col.cls] - col.cost)
        return rows, scores[rows]

    def match(
        self, drawing: PainDrawing, *, priors: Mapping[str, float] | None = None, limit: int | None = 20
    ) -> MatchResult:
        painted = _validated(drawing, self.atlas)
        findings = findings_by_key(drawing.findings, self.kb)
        log_prior = _log_priors(priors)
        rows, scores = self.scores(painted)
        groups = self.index.group[rows]
        # the best hypothesis of each target and side: sort by group, then score descending
        order = np.lexsort((-scores, groups))
        first = np.ones(len(order), dtype=bool)
        first[1:] = groups[order][1:] != groups[order][:-1]
        best_rows, best_scores = rows[order][first], scores[order][first]
        boosted = [
            (round(float(s) + self._boost(int(r), log_prior, findings), TIE), int(r))
            for r, s in zip(best_rows, best_scores, strict=True)
        ]
        ranked = sorted((b for b in boosted if b[0] > 0), key=lambda b: (-b[0], self._key(b[1])))
        shown = _with_ties(ranked, limit)
        muscles = [
            explain_group(self.index.hyps[row], score, _rank(ranked, i), painted, findings, log_prior)
            for i, (score, row) in enumerate(ranked[: max(len(shown), min(COVER_POOL, len(ranked)))])
        ]
        covered = {rid for rid in painted if rid in self.index.columns}
        return MatchResult(
            ranked=self._single_tps(rows, scores, painted, limit),
            muscles=muscles[: len(shown)],
            cover=greedy_cover(muscles[:COVER_POOL], painted),
            unexplained_by_any=tuple(sorted(set(painted) - covered)),
            notes=notes(drawing),
            nothing_explains=not ranked,
        )

    def _boost(
        self, row: int, log_prior: Mapping[str, float], findings: Mapping[tuple[str, Side], tuple[str, ...]]
    ) -> float:
        h = self.index.hyps[row]
        applied = findings.get((h.target_id, h.side), ())
        return log_prior.get(h.target_id, 0.0) + sum(FINDING_WEIGHTS[f] for f in applied)

    def _key(self, row: int) -> tuple[str, str, tuple[str, ...]]:
        h = self.index.hyps[row]
        return (h.target_id, h.side.value, h.tps)

    def _single_tps(
        self, rows: np.ndarray, scores: np.ndarray, painted: Mapping[str, Painted], limit: int | None
    ) -> list[RankedTriggerPoint]:
        """Trigger points on their own (one per hypothesis of a single trigger point)."""
        hyps = self.index.hyps
        single = [
            (round(float(s), TIE), int(r))
            for r, s in zip(rows, scores, strict=True)
            if len(hyps[int(r)].tps) == 1 and s > 0
        ]
        single.sort(key=lambda b: (-b[0], self._key(b[1])))
        return [explain_tp(hyps[row], score, painted) for score, row in _with_ties(single, limit)]


def _rank(ranked: list[tuple[float, int]], i: int) -> int:
    """Competition rank: 1 + how many scored strictly higher."""
    score = ranked[i][0]
    j = i
    while j > 0 and ranked[j - 1][0] == score:
        j -= 1
    return j + 1


def _with_ties(ranked: list[tuple[float, int]], limit: int | None) -> list[tuple[float, int]]:
    """The first ``limit`` rows plus any that tie with the last one kept.

    Why: left and right copies of a pattern often tie; cutting between them would make the
    result depend on the order of the tie-break and a mirrored drawing would not give the
    mirrored answer.
    """
    if not limit or len(ranked) <= limit:
        return list(ranked)
    end = limit
    while end < len(ranked) and ranked[end][0] == ranked[limit - 1][0]:
        end += 1
    return ranked[:end]


def _log_priors(priors: Mapping[str, float] | None) -> dict[str, float]:
    priors = priors or {}
    for bad in (m for m, v in priors.items() if not float(v) > 0):
        raise ValidationFailed(f"prior for '{bad}' must be positive")
    return {m: math.log(float(v)) for m, v in priors.items()}


def _validated(drawing: PainDrawing, atlas: Atlas) -> dict[str, Painted]:
    painted: dict[str, Painted] = {}
    seen: set[str] = set()
    for region in drawing.regions:
        if region.region not in atlas.regions:
            raise ValidationFailed(f"unknown region '{region.region}'")
        if region.region in seen:
            raise ValidationFailed(f"region '{region.region}' is drawn twice")
        seen.add(region.region)
        if region.intensity > 0:
            painted[region.region] = Painted(region.intensity, region.kind, region.depth, region.coverage)
    if not painted:
        raise ValidationFailed("the pain drawing is empty: paint at least one region with intensity above 0")
    return painted


@lru_cache(maxsize=1)
def default_engine() -> MatchEngine:
    """The engine over the shipped base, built once; its objects then leave the collector's
    view (``gc.freeze``), since they live as long as the process and scanning them made the
    slowest queries slow."""
    engine = MatchEngine(load_kb(), load_atlas())
    gc.collect()
    gc.freeze()
    return engine


def match(drawing: PainDrawing, *, priors: Mapping[str, float] | None = None, limit: int | None = 20) -> MatchResult:
    """Rank targets of the shipped knowledge base against ``drawing``."""
    return default_engine().match(drawing, priors=priors, limit=limit)
