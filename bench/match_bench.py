"""Benchmark the referral matcher against a numpy score-and-sort baseline, in the same run.

    .venv/bin/python bench/match_bench.py [--queries 3000]

For the shipped base and synthetic bases 10x and 100x its size (muscles cloned with random
referral zones), measures p50/p99 of ``MatchEngine.match`` on random 10-region drawings
(scoring, grouping by muscle, ranks, explanations of the shown rows, set cover on the
short list) and of a baseline that only scores every hypothesis with the same arrays and
sorts them all (no grouping, no explanations). The engine's objects are frozen out of the
collector's view (``gc.freeze``) as ``default_engine`` does. Figures go in docs/matching.md.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time

import numpy as np

from filiform.core.atlas.build import load_atlas
from filiform.core.kb.loader import KnowledgeBase, load_kb
from filiform.core.kb.models import ReferralPattern
from filiform.core.matching import DrawnRegion, MatchEngine, PainDrawing
from filiform.core.matching.engine import evidence_weights
from filiform.core.matching.explain import Painted


def synthetic(kb: KnowledgeBase, factor: int, rng: random.Random) -> KnowledgeBase:
    """A base ``factor`` times larger: each muscle cloned with random referral zones."""
    bases = sorted(b for b in load_atlas().bases if b not in load_atlas().midline)
    big = KnowledgeBase(citations=kb.citations, danger=kb.danger, depth=kb.depth)
    for copy in range(factor):
        for muscle in kb.muscles.values():
            mid = f"{muscle.id}_x{copy}" if copy else muscle.id
            tps = []
            for tp in muscle.trigger_points:
                n_e, n_s = len(tp.referral.essential), len(tp.referral.spillover)
                zones = rng.sample(bases, n_e + n_s) if copy else [*tp.referral.essential, *tp.referral.spillover]
                pattern = ReferralPattern(essential=tuple(zones[:n_e]), spillover=tuple(zones[n_e:]))
                tps.append(tp.model_copy(update={"id": f"{mid}_{tp.id}" if copy else tp.id, "referral": pattern}))
            big.targets[mid] = muscle.model_copy(update={"id": mid, "trigger_points": tuple(tps)})
    for target_id, target in kb.targets.items():
        big.targets.setdefault(target_id, target)  # nerves keep their territories
    return big


def baseline(engine: MatchEngine, drawing: PainDrawing) -> np.ndarray:
    """Score every hypothesis with the engine's arrays and sort them all: nothing else."""
    index = engine.index
    scores = index.base.copy()
    for r in drawing.regions:
        col = index.columns.get(r.region)
        if col is not None:
            weights = evidence_weights(Painted(r.intensity, r.kind, r.depth, r.coverage))
            scores[col.rows] += r.coverage * (col.gain * weights[col.cls] - col.cost)
    return np.argsort(-scores, kind="stable")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fn, drawings: list[PainDrawing]) -> list[float]:  # type: ignore[no-untyped-def]
    for d in drawings[:50]:  # warm-up
        fn(d)
    out = []
    for d in drawings:
        t0 = time.perf_counter()
        fn(d)
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=3000)
    args = parser.parse_args()
    rng = random.Random(20261128)
    kb, atlas = load_kb(), load_atlas()
    region_ids = sorted(atlas.regions)
    print(
        f"{'base':>5} {'hypotheses':>10} {'engine p50':>10} {'p99 ms':>8} {'mean':>7} "
        f"{'numpy p50':>9} {'p99 ms':>8} {'p50 ratio':>9} {'p99 ratio':>9}"
    )
    for factor in (1, 10, 100):
        engine = MatchEngine(kb if factor == 1 else synthetic(kb, factor, rng), atlas)
        gc.collect()
        gc.freeze()
        drawings = [
            PainDrawing(
                regions=tuple(DrawnRegion(region=r, intensity=rng.randint(1, 10)) for r in rng.sample(region_ids, 10))
            )
            for _ in range(args.queries)
        ]
        ours = timed(engine.match, drawings)
        base = timed(lambda d, e=engine: baseline(e, d), drawings)
        p50, p99, b50, b99 = (
            percentile(ours, 0.5),
            percentile(ours, 0.99),
            percentile(base, 0.5),
            percentile(base, 0.99),
        )
        print(
            f"{factor:>4}x {len(engine.index.hyps):>10} {p50:>10.3f} {p99:>8.3f} {statistics.fmean(ours):>7.3f} "
            f"{b50:>9.3f} {b99:>8.3f} {p50 / b50:>9.2f} {p99 / b99:>9.2f}"
        )
        gc.unfreeze()
        del engine
        gc.collect()


if __name__ == "__main__":
    main()
