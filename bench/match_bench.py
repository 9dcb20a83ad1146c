"""Benchmark the referral matcher: latency per query and how it grows with base size.

    .venv/bin/python bench/match_bench.py [--queries 2000]

Measures, in-process, p50/p99 of ranking a random 10-region drawing over the shipped base
and over synthetic bases 10x and 100x its size (trigger points cloned with random
patterns), and the set-cover step on its own. Figures go in docs/matching.md.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from filiform.core.atlas.build import load_atlas
from filiform.core.kb.loader import KnowledgeBase, load_kb
from filiform.core.kb.models import ReferralPattern
from filiform.core.matching import DrawnRegion, MatchEngine, PainDrawing
from filiform.core.matching.cover import greedy_cover


def synthetic(kb: KnowledgeBase, factor: int, rng: random.Random) -> KnowledgeBase:
    """A base ``factor`` times larger: each muscle cloned with shuffled referral zones."""
    bases = sorted(load_atlas().bases)
    big = KnowledgeBase(citations=kb.citations, danger=kb.danger, depth=kb.depth)
    for copy in range(factor):
        for muscle in kb.muscles.values():
            mid = f"{muscle.id}_x{copy}"
            tps = []
            for tp in muscle.trigger_points:
                n_e, n_s = len(tp.referral.essential), len(tp.referral.spillover)
                zones = rng.sample(bases, n_e + n_s) if copy else [*tp.referral.essential, *tp.referral.spillover]
                tps.append(
                    tp.model_copy(
                        update={
                            "id": f"{mid}_{tp.id}",
                            "referral": ReferralPattern(essential=tuple(zones[:n_e]), spillover=tuple(zones[n_e:])),
                        }
                    )
                )
            big.targets[mid] = muscle.model_copy(update={"id": mid, "trigger_points": tuple(tps)})
    return big


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(engine: MatchEngine, queries: int, rng: random.Random) -> dict[str, float]:
    region_ids = sorted(engine.atlas.regions)
    drawings = [
        PainDrawing(
            regions=tuple(DrawnRegion(region=r, intensity=rng.randint(1, 10)) for r in rng.sample(region_ids, 10))
        )
        for _ in range(queries)
    ]
    for d in drawings[:50]:  # warm-up
        engine.match(d)
    times, cover_times = [], []
    for d in drawings:
        t0 = time.perf_counter()
        result = engine.match(d)
        times.append((time.perf_counter() - t0) * 1e3)
        painted = {r.region: r.intensity for r in d.regions}
        t1 = time.perf_counter()
        greedy_cover(result.ranked[:60], painted)
        cover_times.append((time.perf_counter() - t1) * 1e3)
    return {
        "p50_ms": percentile(times, 0.5),
        "p99_ms": percentile(times, 0.99),
        "mean_ms": statistics.fmean(times),
        "cover_p50_ms": percentile(cover_times, 0.5),
        "cover_p99_ms": percentile(cover_times, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(20261125)
    kb, atlas = load_kb(), load_atlas()
    print(f"{'base':>10} {'trigger pts':>11} {'p50 ms':>8} {'p99 ms':>8} {'cover p50':>9} {'cover p99':>9}")
    for factor in (1, 10, 100):
        base = kb if factor == 1 else synthetic(kb, factor, rng)
        engine = MatchEngine(base, atlas)
        n_tp = sum(len(m.trigger_points) for m in base.muscles.values())
        figures = run(engine, args.queries if factor < 100 else max(200, args.queries // 5), rng)
        print(
            f"{factor:>9}x {n_tp:>11} {figures['p50_ms']:>8.3f} {figures['p99_ms']:>8.3f} "
            f"{figures['cover_p50_ms']:>9.3f} {figures['cover_p99_ms']:>9.3f}"
        )


if __name__ == "__main__":
    main()
