"""Benchmark the referral matcher against a numpy score-and-sort baseline, in the same run.

    .venv/bin/python bench/match_bench.py [--queries 3000] [--runs 3]

For the shipped base and synthetic bases 10x and 100x its size (muscles cloned with random
referral zones), measures p50/p99 of ``MatchEngine.match`` (scoring, grouping by muscle,
ranks, explanations of the 20 shown rows, set cover on the short list) and of a baseline
that scores every hypothesis with the engine's own scoring and sorts them all (no
grouping, no explanations), on random 10-region drawings; on the shipped base also on the
evaluation cases' drawings (``case``: what a clinician draws, one symptom kind each).
The engine and the baseline take turns query by query, so both see the same load (the
ratios come from this pass); then the engine runs the same drawings alone (``alone``: what a
server that only matches sees, without the baseline's arrays passing through the caches
between its queries). Each
query is timed on the wall clock and on the thread's CPU clock: on a shared machine the
wall-clock tail is mostly time spent waiting for a core, which the CPU clock leaves out.
Every run is repeated ``--runs`` times (fresh drawings each time) and the median of each
figure across runs is printed, with the load average during the runs. The engine's objects
are frozen out of the collector's view (``gc.freeze``) as ``default_engine`` does. Figures
go in docs/matching.md.
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
from filiform.core.matching.evaluation import CASE_SETS, load_cases
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


Timings = dict[str, list[float]]


def timed(fns: dict[str, Callable[[PainDrawing], object]], drawings: list[PainDrawing]) -> Timings:
    """Milliseconds per query of each function on the wall clock and on this thread's CPU
    clock (``name`` and ``name cpu``), the functions taking turns on each drawing."""
    for d in drawings[:100]:  # warm-up
        for fn in fns.values():
            fn(d)
    out: Timings = {k: [] for name in fns for k in (name, f"{name} cpu")}
    for d in drawings:
        for name, fn in fns.items():
            c0 = time.thread_time_ns()
            t0 = time.perf_counter_ns()
            fn(d)
            out[name].append((time.perf_counter_ns() - t0) / 1e6)
            out[f"{name} cpu"].append((time.thread_time_ns() - c0) / 1e6)
    return out


FIGURES = (
    "p50", "p99", "cpu p50", "cpu p99", "base p50", "base p99", "base cpu p99", "alone p99", "alone cpu p50",
    "alone cpu p99",
)  # fmt: skip


def random_drawings(region_ids: list[str], queries: int, rng: random.Random) -> list[PainDrawing]:
    return [
        PainDrawing(
            regions=tuple(DrawnRegion(region=r, intensity=rng.randint(1, 10)) for r in rng.sample(region_ids, 10))
        )
        for _ in range(queries)
    ]


def case_drawings(queries: int, rng: random.Random) -> list[PainDrawing]:
    """The evaluation cases' drawings (both sets), each painted at a random intensity."""
    cases = [c for which in sorted(CASE_SETS) for c in load_cases(which=which).cases]
    return [
        PainDrawing(regions=tuple(DrawnRegion(region=r, intensity=rng.randint(3, 9), kind=c.kind) for r in c.regions))
        for c in (rng.choice(cases) for _ in range(queries))
    ]


def one_run(engine: MatchEngine, drawings: list[PainDrawing]) -> dict[str, float]:
    t = timed({"engine": engine.match, "base": lambda d, e=engine: baseline(e, d)}, drawings)
    alone = timed({"engine": engine.match}, drawings)
    return {
        "alone p99": percentile(alone["engine"], 0.99),
        "alone cpu p50": percentile(alone["engine cpu"], 0.5),
        "alone cpu p99": percentile(alone["engine cpu"], 0.99),
        "p50": percentile(t["engine"], 0.5),
        "p99": percentile(t["engine"], 0.99),
        "cpu p50": percentile(t["engine cpu"], 0.5),
        "cpu p99": percentile(t["engine cpu"], 0.99),
        "base p50": percentile(t["base"], 0.5),
        "base p99": percentile(t["base"], 0.99),
        "base cpu p99": percentile(t["base cpu"], 0.99),
    }


def report(label: str, engine: MatchEngine, make: Callable[[], list[PainDrawing]], runs: int) -> None:
    loads = [os.getloadavg()[0]]
    results = []
    for _ in range(runs):
        results.append(one_run(engine, make()))
        loads.append(os.getloadavg()[0])
    m = {k: statistics.median(r[k] for r in results) for k in FIGURES}
    print(
        f"{label:>8} {len(engine.index.hyps):>10} {m['p50']:>7.3f} {m['p99']:>7.3f} {m['cpu p50']:>8.3f} "
        f"{m['cpu p99']:>8.3f} {m['base p50']:>9.3f} {m['base p99']:>7.3f} {m['base cpu p99']:>8.3f} "
        f"{m['p50'] / m['base p50']:>9.2f} {m['cpu p99'] / m['base cpu p99']:>13.2f} "
        f"{m['alone cpu p50']:>11.3f} {m['alone p99']:>9.3f} {m['alone cpu p99']:>11.3f}  "
        f"{min(loads):.1f}-{max(loads):.1f}",
        flush=True,
    )


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
        f"{'base':>8} {'hypotheses':>10} {'p50':>7} {'p99':>7} {'cpu p50':>8} {'cpu p99':>8} "
        f"{'numpy p50':>9} {'p99':>7} {'cpu p99':>8} {'ratio p50':>9} {'ratio cpu p99':>13} "
        f"{'alone cpu p50':>11} {'alone p99':>9} {'alone cpu p99':>11}  load"
    )
    for factor in (1, 10, 100):
        engine = MatchEngine(kb if factor == 1 else synthetic(kb, factor, rng), atlas)
        gc.collect()
        gc.freeze()
        report(f"{factor}x", engine, lambda: random_drawings(region_ids, args.queries, rng), args.runs)
        if factor == 1:
            report("1x case", engine, lambda: case_drawings(args.queries, rng), args.runs)
        gc.unfreeze()
        del engine
        gc.collect()


if __name__ == "__main__":
    main()
