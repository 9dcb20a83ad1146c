"""Rank targets (muscles by all their trigger points together, and nerves) for a pain drawing.

The score of a hypothesis (see index.py) is a log-likelihood ratio (natural log) of the
drawing under "this target refers the pain" against a background model in which any region
is painted at a low base rate. Each zone region is a Bernoulli observation: painted with
probability 0.5 in an essential zone, 0.2 in a spillover zone, 0.3 over the target itself,
0.01 in the background (index.P_ZONE, index.P_BACKGROUND). A painted zone region adds
``log(p / 0.01)`` times its evidence weight; an unpainted one adds ``log((1 - p) / 0.99)``
(negative), so a large pattern that is mostly unpainted is penalised. A region the brush
covered only in part counts in proportion.

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
from filiform.core.concepts import DrawnRegion, Side, validate_regions
from filiform.core.kb.loader import KnowledgeBase, load_kb
from filiform.errors import ValidationFailed

from .cover import greedy_cover_hits
from .explain import Query, Region, ShortList, explain_rows, explain_tp, findings_by_key, notes
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


@lru_cache(maxsize=1024)
def _weights(intensity: int, kind: str, depth: str | None) -> np.ndarray:
    scale = 0.5 + 0.05 * intensity
    kinds = KIND_WEIGHT[kind]
    depths = DEPTH_WEIGHT.get(depth or "")
    return np.array(
        [scale * kinds[family] * (depths[level] if depths else 1.0) for family, level in CLASSES], dtype=np.float64
    )


def evidence_weights(region: Region) -> np.ndarray:
    """The painted region's evidence weight for each hypothesis class (index.CLASSES)."""
    return _weights(region.intensity, region.kind, region.depth)


def _top(scores: np.ndarray, keys: np.ndarray, need: int) -> np.ndarray:
    """Positions of the ``need`` best scores plus any tied with the last, best first (ties by key)."""
    n = len(scores)
    if need < n:
        threshold = np.partition(scores, n - need)[n - need]  # the need-th best
        chosen = np.flatnonzero(scores >= threshold)
    else:
        chosen = np.arange(n)
    return chosen[np.lexsort((keys[chosen], -scores[chosen]))]


def _best_of_groups(
    scores: np.ndarray, rows: np.ndarray, run: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The best score of each run of rows (``run``: each position's run, numbered from 0;
    ``starts``: where each begins) and its row: the highest score and, among equal scores,
    the first row (hypotheses of one target and side are consecutive rows)."""
    best = np.maximum.reduceat(scores, starts)
    best_rows = np.minimum.reduceat(np.where(scores == best[run], rows, np.iinfo(np.int64).max), starts)
    return best, best_rows


def _best_of_positive(scores: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_best_of_groups` for the targets with a hypothesis above zero, the only ones
    that can be ranked when no prior or finding is added: those rows alone are grouped (a
    few thousand of 51,216 at 100x; on a small base the fixed cost of the extra steps is more
    than it saves, see MatchEngine.sparse_from)."""
    rows = np.flatnonzero(scores > 0)
    if not len(rows):
        return scores[:0], rows
    groups = group[rows]
    new_run = np.empty(len(rows), dtype=bool)
    new_run[0] = True
    np.not_equal(groups[1:], groups[:-1], out=new_run[1:])
    return _best_of_groups(scores[rows], rows, np.cumsum(new_run) - 1, np.flatnonzero(new_run))


def _cut(scores: np.ndarray, limit: int | None) -> int:
    """How many of the sorted ``scores`` to show: ``limit`` plus those tied with the last.

    Why: left and right copies of a pattern often tie; cutting between them would make the
    result depend on the order of the tie-break and a mirrored drawing would not give the
    mirrored answer.
    """
    if not limit or len(scores) <= limit:
        return len(scores)
    return int(np.count_nonzero(scores >= scores[limit - 1]))


class MatchEngine:
    """Scores every hypothesis touched by the drawing with a few vector additions."""

    def __init__(self, kb: KnowledgeBase, atlas: Atlas) -> None:
        self.kb = kb
        self.atlas = atlas
        self.index = MatchIndex(kb, atlas)
        # from this many hypotheses on, only those above zero are grouped when ranking
        self.sparse_from = 4096

    def scores(self, painted: Mapping[str, Region]) -> np.ndarray:
        """The score of every hypothesis (untouched ones keep their base score).

        The painted regions' columns (``index.parts``) are gathered with one concatenation
        each and added with one ``bincount``: a fixed number of vector operations whatever the
        number of regions. Each value is ``coverage x (gain x weight - cost)`` and each score
        its base plus its values in the order the regions were painted, whichever way it is
        computed (a whole region's coverage of 1 is not multiplied: the product is the same).
        """
        index = self.index
        parts = index.parts
        values, keys, weights, coverage, lengths = [], [], [], [], []
        partial = False
        for rid, region in painted.items():
            part = parts.get(rid)
            if part is not None:
                values.append(part.values)
                keys.append(part.keys)
                weights.append(_weights(region.intensity, region.kind, region.depth))
                coverage.append(region.coverage)
                partial = partial or region.coverage != 1.0
                lengths.append(part.length)
        if not values:
            return index.base.copy()
        gathered = np.concatenate(values, axis=1) if len(values) > 1 else values[0]
        key = np.concatenate(keys, axis=1) if len(keys) > 1 else keys[0]
        which = np.repeat(np.arange(len(lengths)), lengths)
        value = gathered[0] * np.asarray(weights)[which, key[1]] - gathered[1]
        if partial:
            value *= np.asarray(coverage)[which]
        return index.base + np.bincount(key[0], weights=value, minlength=len(index.base))

    def match(
        self, drawing: PainDrawing, *, priors: Mapping[str, float] | None = None, limit: int | None = 20
    ) -> MatchResult:
        index = self.index
        painted = _validated(drawing, self.atlas)
        findings = findings_by_key(drawing.findings, self.kb)
        log_prior = _log_priors(priors)
        scores = self.scores(painted)
        if log_prior or findings:
            best, best_rows = _best_of_groups(scores, index.rows, index.group, index.starts)
            best = best + self._boosts(log_prior, findings)
        elif len(scores) >= self.sparse_from:
            best, best_rows = _best_of_positive(scores, index.group)
        else:
            best, best_rows = _best_of_groups(scores, index.rows, index.group, index.starts)
        best = np.round(best, TIE)
        positive = best > 0
        best_rows, best = best_rows[positive], best[positive]
        need = max(limit or len(best), COVER_POOL)
        top = _top(best, index.order_key[best_rows], need)
        top_rows, top_scores = best_rows[top], best[top]
        shown = _cut(top_scores, limit)
        pool = min(COVER_POOL, len(top))
        explain_n = max(shown, pool)
        # competition ranks: every score above one in ``top`` is in ``top`` too, so counting
        # the higher ones there is counting them among all
        descending = -top_scores
        ranks = (1 + np.searchsorted(descending, descending[:explain_n], side="left")).tolist()
        q = Query.of(painted, index.code_column)
        rows_n = top_rows[:explain_n].tolist()
        short = ShortList(rows_n, top_scores[:explain_n].tolist(), ranks, *q.split(index, rows_n))
        muscles = explain_rows(index, short, range(shown), q, findings, log_prior)
        # the set cover needs only each candidate's score and explained regions; a ranked row
        # is built for a chosen candidate that is not already shown
        chosen = greedy_cover_hits(short.hits[:pool], short.scores[:pool], q.weight, short.gains[:pool])
        extra = [i for i in chosen if i >= shown]
        more = dict(zip(extra, explain_rows(index, short, extra, q, findings, log_prior), strict=True)) if extra else {}
        cover = [muscles[i] if i < shown else more[i] for i in chosen]
        covered = {rid for rid in painted if rid in index.columns}
        return MatchResult(
            single_tps=lambda: self._single_tps(scores, q, limit),
            muscles=muscles,
            cover=cover,
            unexplained_by_any=tuple(sorted(set(painted) - covered)),
            notes=notes(drawing),
            nothing_explains=len(best) == 0,
        )

    def _boosts(
        self, log_prior: Mapping[str, float], findings: Mapping[tuple[str, Side], tuple[str, ...]]
    ) -> np.ndarray:
        """Log-odds added to each target and side by condition priors and exam findings."""
        boost = np.zeros(len(self.index.group_keys))
        for (target, side), g in self.index.group_of.items():
            applied = findings.get((target, side), ())
            if target in log_prior or applied:
                boost[g] = log_prior.get(target, 0.0) + sum(FINDING_WEIGHTS[f] for f in applied)
        return boost

    def _single_tps(self, scores: np.ndarray, q: Query, limit: int | None) -> list[RankedTriggerPoint]:
        """Trigger points on their own (hypotheses of a single trigger point) above chance."""
        rounded = np.round(scores, TIE)
        rows = np.flatnonzero(self.index.single & (rounded > 0))
        rounded = rounded[rows]
        top = _top(rounded, self.index.order_key[rows], limit or len(rows))
        top_rows, top_scores = rows[top], rounded[top]
        shown = _cut(top_scores, limit)
        hyps = self.index.hyps
        pairs = zip(top_rows[:shown].tolist(), top_scores[:shown].tolist(), strict=True)
        return [explain_tp(hyps[r], s, q) for r, s in pairs]


def _log_priors(priors: Mapping[str, float] | None) -> dict[str, float]:
    if not priors:
        return {}
    for bad in (m for m, v in priors.items() if not float(v) > 0):
        raise ValidationFailed(f"prior for '{bad}' must be positive")
    return {m: math.log(float(v)) for m, v in priors.items()}


def _validated(drawing: PainDrawing, atlas: Atlas) -> dict[str, DrawnRegion]:
    """Painted regions by the one region validator (:func:`filiform.core.concepts.validate_regions`)."""
    return {r.region: r for r in validate_regions(drawing.regions, atlas.regions)}


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
    """Rank targets of the shipped knowledge base against ``drawing``.

    >>> from filiform.core.concepts import DrawnRegion, PainDrawing
    >>> ranked = match(PainDrawing(regions=(DrawnRegion(region="right-temple-middle", intensity=7),)), limit=3)
    >>> ranked.muscles[0].side.value
    'right'
    """
    return default_engine().match(drawing, priors=priors, limit=limit)
