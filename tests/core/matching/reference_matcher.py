"""The matcher's query as it was before the vectorised scorer: the reference it must equal.

A copy of the ranking, explanation and set-cover code of the engine as of the change that
made scoring a precomputed-matrix product (commit 14109cd on main), kept here so that the
equivalence test compares the engine with the code it replaced on the same knowledge base
(stored outputs would go stale whenever a referral pattern is redrawn). It reads only the
hypotheses (``index.hyps``) and their base scores (``index.base``), which are the model's
definition, and the engine's published weights; everything else is its own.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from filiform.core.matching.engine import (
    COVER_POOL,
    DEPTH_WEIGHT,
    FINDING_WEIGHTS,
    KIND_WEIGHT,
    TIE,
    MatchEngine,
    _log_priors,
    _validated,
)
from filiform.core.matching.explain import findings_by_key, notes
from filiform.core.matching.index import CLASS_NAMES, CLASSES, COST, GAIN, NEURAL, P_ZONE, Hypothesis
from filiform.core.matching.models import MatchResult, PainDrawing, RankedMuscle, RankedTriggerPoint


@dataclass(frozen=True)
class _Query:
    painted: Mapping[str, object]
    ids: tuple[str, ...]
    total: float
    plain: bool

    @classmethod
    def of(cls, painted):
        total = sum(p.intensity * p.coverage for p in painted.values()) or 1.0
        plain = all(p.kind == "ache" and p.depth is None for p in painted.values())
        return cls(painted, tuple(sorted(painted)), total, plain)

    def hits(self, h: Hypothesis) -> tuple[str, ...]:
        return tuple(rid for rid in self.ids if rid in h.zones)


def _weights(intensity, kind, depth):
    scale = 0.5 + 0.05 * intensity
    kinds = KIND_WEIGHT[kind]
    depths = DEPTH_WEIGHT.get(depth or "")
    return np.array([scale * kinds[f] * (depths[lv] if depths else 1.0) for f, lv in CLASSES], dtype=np.float64)


def _hits(h, q, hit):
    by_kind = {"essential": [], "spillover": [], "local": []}
    covered = explained = 0.0
    for rid in hit:
        kind = h.zones[rid]
        by_kind[kind].append(rid)
        covered += P_ZONE[kind]
        region = q.painted[rid]
        explained += region.intensity * region.coverage
    return by_kind, covered / h.weight_total if h.weight_total else 0.0, explained / q.total


def _reasons(h, hit, q, applied, prior):
    if q.plain and len(h.tps) < 2 and not applied and prior == 0:
        return ()
    painted = q.painted
    reasons = []
    kinds = sorted({painted[r].kind for r in hit if painted[r].kind != "ache"})
    if kinds:
        weight = "counted in full" if h.cls in NEURAL else "counted at reduced weight"
        reasons.append(f"{', '.join(k.replace('_', ' ') for k in kinds)} ({CLASS_NAMES[h.cls]}: {weight})")
    depths = sorted({d for r in hit if (d := painted[r].depth)})
    if depths:
        reasons.append(f"marked {'/'.join(depths)} ({CLASS_NAMES[h.cls]})")
    if len(h.tps) > 1:
        reasons.append(f"{len(h.tps)} trigger points together")
    if applied:
        reasons.append("findings: " + ", ".join(f.replace("_", " ") for f in applied))
    if prior != 0:
        reasons.append(f"condition prior {prior:+.2f}")
    return tuple(reasons)


def _group(h, score, rank, q, findings, log_prior, hit=None):
    if hit is None:
        hit = q.hits(h)
    by_kind, coverage, explained = _hits(h, q, hit)
    applied = findings.get((h.target_id, h.side), ())
    return RankedMuscle(
        muscle_id=h.target_id, muscle_name=h.target_name, side=h.side, score=score,
        best_tp=h.tps[0] if h.tps else h.target_id, explained=hit, tps=h.tps, rank=rank, kind=h.kind,
        unexplained=tuple(rid for rid in q.ids if rid not in h.zones),
        essential_hits=tuple(by_kind["essential"]), spillover_hits=tuple(by_kind["spillover"]),
        local_hits=tuple(by_kind["local"]), pattern_coverage=round(coverage, 6),
        drawing_explained=round(explained, 6),
        reasons=_reasons(h, hit, q, applied, log_prior.get(h.target_id, 0.0)),
    )  # fmt: skip


def _tp(h, score, q):
    hit = q.hits(h)
    by_kind, coverage, explained = _hits(h, q, hit)
    return RankedTriggerPoint(
        tp_id=h.tps[0], muscle_id=h.target_id, muscle_name=h.target_name, label=h.labels[0], side=h.side,
        score=round(score, 6), pattern_coverage=round(coverage, 6), drawing_explained=round(explained, 6),
        essential_hits=tuple(by_kind["essential"]), spillover_hits=tuple(by_kind["spillover"]),
        local_hits=tuple(by_kind["local"]), unexplained=tuple(rid for rid in q.ids if rid not in h.zones),
        explained=hit,
    )  # fmt: skip


def _cover(candidates, painted):
    """The lazy greedy set cover, as it was."""
    weight = {r: float(v.intensity) for r, v in painted.items()}
    pool = [(c, weight.keys() & set(c.explained), 0.2 + 0.8 / (1 + math.exp(c.score / 4))) for c in candidates]
    remaining = set().union(*(regions for _, regions, _ in pool)) if pool else set()
    version = 0
    heap = [(-sum(weight[r] for r in regs) / cost, i, version) for i, (_, regs, cost) in enumerate(pool) if regs]
    heapq.heapify(heap)
    chosen = []
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


@dataclass(frozen=True)
class _Candidate:
    score: float
    explained: tuple[str, ...]
    index: int


def _top(scores, keys, need):
    n = len(scores)
    if need < n:
        threshold = -np.partition(-scores, need - 1)[need - 1]
        chosen = np.flatnonzero(scores >= threshold)
    else:
        chosen = np.arange(n)
    return chosen[np.lexsort((keys[chosen], -scores[chosen]))]


def _cut(scores, limit):
    if not limit or len(scores) <= limit:
        return len(scores)
    return int(np.count_nonzero(scores >= scores[limit - 1]))


class ReferenceMatcher:
    """Today's query over the engine's hypotheses, computed the way it was."""

    def __init__(self, engine: MatchEngine) -> None:
        self.engine = engine
        hyps = engine.index.hyps
        self.hyps = hyps
        by_region = defaultdict(list)
        for row, h in enumerate(hyps):
            for rid, kind in h.zones.items():
                by_region[rid].append((row, kind, h.cls))
        parts, self.spans, start = [], {}, 0
        for rid, items in by_region.items():
            parts.append(np.array([[r, GAIN[k], COST[k], c] for r, k, c in items], dtype=np.float64).T)
            self.spans[rid] = (start, start + len(items))
            start += len(items)
        self.flat = np.ascontiguousarray(np.concatenate(parts, axis=1))
        keys = [(h.target_id, h.side) for h in hyps]
        group_of: dict = {}
        self.group = np.array([group_of.setdefault(k, len(group_of)) for k in keys], dtype=np.int64)
        self.group_of = group_of
        self.starts = np.flatnonzero(np.r_[True, np.diff(self.group) != 0])
        order = sorted(range(len(hyps)), key=lambda i: (hyps[i].target_id, hyps[i].side.value, hyps[i].tps))
        self.order_key = np.empty(len(hyps), dtype=np.int64)
        self.order_key[order] = np.arange(len(hyps))
        self.single = np.array([len(h.tps) == 1 for h in hyps], dtype=bool)

    def scores(self, painted) -> np.ndarray:
        slices, weights, coverage, lengths = [], [], [], []
        for rid, region in painted.items():
            span = self.spans.get(rid)
            if span is not None:
                slices.append(self.flat[:, span[0] : span[1]])
                weights.append(_weights(region.intensity, region.kind, region.depth))
                coverage.append(region.coverage)
                lengths.append(span[1] - span[0])
        scores = self.engine.index.base.copy()
        if not slices:
            return scores
        gathered = np.concatenate(slices, axis=1) if len(slices) > 1 else slices[0]
        which = np.repeat(np.arange(len(slices)), lengths)
        weight = np.asarray(weights)[which, gathered[3].astype(np.intp)]
        values = np.asarray(coverage)[which] * (gathered[1] * weight - gathered[2])
        scores += np.bincount(gathered[0].astype(np.intp), weights=values, minlength=len(scores))
        return scores

    def match(self, drawing: PainDrawing, *, priors=None, limit: int | None = 20) -> MatchResult:
        kb = self.engine.kb
        painted = _validated(drawing, self.engine.atlas)
        findings = findings_by_key(drawing.findings, kb)
        log_prior = _log_priors(priors)
        scores = self.scores(painted)
        best = np.maximum.reduceat(scores, self.starts)
        rows = np.arange(len(scores))
        best_rows = np.minimum.reduceat(np.where(scores == best[self.group], rows, len(scores)), self.starts)
        if log_prior or findings:
            boost = np.zeros(len(group_of := self.group_of))
            for (target, side), g in group_of.items():
                applied = findings.get((target, side), ())
                if target in log_prior or applied:
                    boost[g] = log_prior.get(target, 0.0) + sum(FINDING_WEIGHTS[f] for f in applied)
            best = best + boost
        best = np.round(best, TIE)
        positive = best > 0
        best_rows, best = best_rows[positive], best[positive]
        top = _top(best, self.order_key[best_rows], max(limit or len(best), COVER_POOL))
        top_rows, top_scores = best_rows[top], best[top]
        shown = _cut(top_scores, limit)
        pool = min(COVER_POOL, len(top))
        explain_n = max(shown, pool)
        ranks = (1 + np.searchsorted(np.sort(-best), -top_scores[:explain_n], side="left")).tolist()
        rows_n, scores_n = top_rows[:explain_n].tolist(), top_scores[:explain_n].tolist()
        q = _Query.of(painted)
        hits = [q.hits(self.hyps[r]) for r in rows_n]
        muscles = [
            _group(self.hyps[rows_n[i]], scores_n[i], ranks[i], q, findings, log_prior, hits[i]) for i in range(shown)
        ]
        chosen = _cover([_Candidate(scores_n[i], hits[i], i) for i in range(pool)], painted)
        cover = [
            muscles[c.index]
            if c.index < shown
            else _group(self.hyps[rows_n[c.index]], c.score, ranks[c.index], q, findings, log_prior, c.explained)
            for c in chosen
        ]
        covered = {rid for rid in painted if rid in self.spans}
        return MatchResult(
            single_tps=lambda: self._single_tps(scores, q, limit),
            muscles=muscles,
            cover=cover,
            unexplained_by_any=tuple(sorted(set(painted) - covered)),
            notes=notes(drawing),
            nothing_explains=len(best) == 0,
        )

    def _single_tps(self, scores, q, limit):
        rounded = np.round(scores, TIE)
        rows = np.flatnonzero(self.single & (rounded > 0))
        rounded = rounded[rows]
        top = _top(rounded, self.order_key[rows], limit or len(rows))
        top_rows, top_scores = rows[top], rounded[top]
        shown = _cut(top_scores, limit)
        pairs = zip(top_rows[:shown].tolist(), top_scores[:shown].tolist(), strict=True)
        return [_tp(self.hyps[r], s, q) for r, s in pairs]
