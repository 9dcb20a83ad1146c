"""Benchmark the referral matcher against a numpy score-and-sort baseline, in the same run.

    .venv/bin/python bench/match_bench.py [--queries 3000] [--runs 3]

For the shipped base and synthetic bases 10x and 100x its size (muscles cloned with random
referral zones), measures p50/p99 of ``MatchEngine.match`` on random 10-region drawings
(scoring, grouping by muscle, ranks, explanations of the shown rows, set cover on the
short list) and of a baseline that scores every hypothesis with the engine's own scoring
and sorts them all (no grouping, no explanations). Each query is timed on the wall clock
and on the thread's CPU clock: on a shared machine the wall-clock tail is mostly time spent
waiting for a core, which the CPU clock leaves out. Every run is repeated ``--runs`` times
(fresh drawings each time) and the median of each figure across runs is printed, with the
load average before and after. The engine's objects are frozen out of the collector's view
(``gc.freeze``) as ``default_engine`` does. Figures go in docs/matching.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import time
from collections.abc import Callable

import numpy as np

from filiform.core.atlas.build import load_atlas
from filiform.core.kb.loader import KnowledgeBase, load_kb
from filiform.core.kb.models import ReferralPattern
from filiform.core.matching import DrawnRegion, MatchEngine, PainDrawing
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
    """Score every hypothesis with the engine's scoring and sort them all: nothing else."""
    painted = {r.region: Painted(r.intensity, r.kind, r.depth, r.coverage) for r in drawing.regions}
    return np.argsort(-engine.scores(painted), kind="stable")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fn: Callable[[PainDrawing], object], drawings: list[PainDrawing]) -> tuple[list[float], list[float]]:
    """Milliseconds per query on the wall clock and on this thread's CPU clock."""
    for d in drawings[:50]:  # warm-up
        fn(d)
    wall, cpu = [], []
    for d in drawings:
        c0 = time.thread_time_ns()
        t0 = time.perf_counter_ns()
        fn(d)
        wall.append((time.perf_counter_ns() - t0) / 1e6)
        cpu.append((time.thread_time_ns() - c0) / 1e6)
    return wall, cpu


FIGURES = ("p50", "p99", "cpu p50", "cpu p99", "base p50", "base p99", "base cpu p99")


def one_run(engine: MatchEngine, region_ids: list[str], queries: int, rng: random.Random) -> dict[str, float]:
    drawings = [
        PainDrawing(
            regions=tuple(DrawnRegion(region=r, intensity=rng.randint(1, 10)) for r in rng.sample(region_ids, 10))
        )
        for _ in range(queries)
    ]
    wall, cpu = timed(engine.match, drawings)
    b_wall, b_cpu = timed(lambda d, e=engine: baseline(e, d), drawings)
    return {
        "p50": percentile(wall, 0.5),
        "p99": percentile(wall, 0.99),
        "cpu p50": percentile(cpu, 0.5),
        "cpu p99": percentile(cpu, 0.99),
        "base p50": percentile(b_wall, 0.5),
        "base p99": percentile(b_wall, 0.99),
        "base cpu p99": percentile(b_cpu, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(20261128)
    kb, atlas = load_kb(), load_atlas()
    region_ids = sorted(atlas.regions)
    print(f"median over {args.runs} runs of {args.queries} queries; times in ms (cpu: this thread's CPU clock)")
    print(
        f"{'base':>5} {'hypotheses':>10} {'p50':>7} {'p99':>7} {'cpu p50':>8} {'cpu p99':>8} "
        f"{'numpy p50':>9} {'p99':>7} {'cpu p99':>8} {'ratio p50':>9} {'ratio cpu p99':>13}  load"
    )
    for factor in (1, 10, 100):
        engine = MatchEngine(kb if factor == 1 else synthetic(kb, factor, rng), atlas)
        gc.collect()
        gc.freeze()
        loads = [os.getloadavg()[0]]
        runs = []
        for _ in range(args.runs):
            runs.append(one_run(engine, region_ids, args.queries, rng))
            loads.append(os.getloadavg()[0])
        m = {k: statistics.median(r[k] for r in runs) for k in FIGURES}
        print(
            f"{factor:>4}x {len(engine.index.hyps):>10} {m['p50']:>7.3f} {m['p99']:>7.3f} {m['cpu p50']:>8.3f} "
            f"{m['cpu p99']:>8.3f} {m['base p50']:>9.3f} {m['base p99']:>7.3f} {m['base cpu p99']:>8.3f} "
            f"{m['p50'] / m['base p50']:>9.2f} {m['cpu p99'] / m['base cpu p99']:>13.2f}  "
            f"{min(loads):.1f}-{max(loads):.1f}"
        )
        gc.unfreeze()
        del engine
        gc.collect()


if __name__ == "__main__":
    main()
