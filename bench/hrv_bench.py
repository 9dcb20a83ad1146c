"""HRV session analysis against NeuroKit2, and the vectorised steps against the loops they replaced.

    .venv/bin/python bench/hrv_bench.py                 # 7 timed runs of each, after one warm-up
    .venv/bin/python bench/hrv_bench.py --runs 15 --json out.json

Data: the real one-hour NN-interval series that ships with pyhrv (4,684 beats, in
``tests/fixtures/hrv``) with phases baseline 0-600 s, needling 600-2400 s, rest 2400-3600 s.
In the same process and on the same data:

* ``analyse_session`` end to end (artefact correction, metrics per phase, 1,000-replicate
  bootstrap per comparison, vasovagal replay; its result cache cleared before every run);
* NeuroKit2 on the same hour: ``hrv_time`` + ``hrv_frequency`` (the metrics alone), and those
  plus ``signal_fixpeaks`` as our pipeline runs it (correction to convergence), as baselines;
* our per-window metrics (``window_metrics``) against ``hrv_time`` + ``hrv_frequency``;
* the bootstrap and the vasovagal replay against the loop versions they replaced, which the
  tests keep as oracles (``tests/core/hrv/legacy_hrv.py``).

Medians in milliseconds (wall and CPU time of this process) and ratios; a ratio below 1
means ours is faster.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "core" / "hrv"))

from legacy_hrv import legacy_detect  # noqa: E402  (test oracle: the replaced algorithms)
from legacy_hrv import replicates as legacy_replicates  # noqa: E402

from filiform.core.hrv import session as hrv_session  # noqa: E402
from filiform.core.hrv.artefacts import correct_artefacts  # noqa: E402
from filiform.core.hrv.bootstrap import replicates  # noqa: E402
from filiform.core.hrv.metrics import window_metrics  # noqa: E402
from filiform.core.hrv.series import RRSeries  # noqa: E402
from filiform.core.hrv.vasovagal import detect_vasovagal  # noqa: E402

PHASES = "baseline=0-600,needling=600-2400,rest=2400-3600"
METRICS = ("hr", "rmssd", "sdnn", "pnn50")


def median_ms(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall and CPU time in ms of ``runs`` calls after one warm-up (CPU time is what
    other programs on a shared machine disturb least)."""
    fn()
    samples, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        samples.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(samples) * 1000, statistics.median(cpu) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import neurokit2 as nk

    nni = np.load(ROOT / "tests" / "fixtures" / "hrv" / "pyhrv_SampleNNISeriesLong.npy").astype(float)
    series = RRSeries.from_intervals(nni, "ms")
    peaks = np.concatenate([[0], np.cumsum(np.round(nni).astype(np.int64))])
    clean, _ = correct_artefacts(series)
    hour = clean.window(0, 1e9)
    baseline = clean.window(0, 600)

    def analyse() -> object:
        hrv_session.clear_analysis_cache()
        return hrv_session.analyse_session(nni, PHASES, unit="ms")

    def nk_metrics() -> object:
        return nk.hrv_time(peaks, sampling_rate=1000), nk.hrv_frequency(peaks, sampling_rate=1000)

    def nk_pipeline() -> object:
        fixed = peaks
        for _ in range(5):  # correction to convergence, as artefacts.py runs it
            _, new = nk.signal_fixpeaks(fixed, sampling_rate=1000, iterative=False, method="Kubios")
            new = np.asarray(new)
            if new.shape == fixed.shape and np.array_equal(new, fixed):
                break
            fixed = new
        return nk_metrics()

    r = args.runs
    t = {
        "analyse_session, 1 h": median_ms(analyse, r),
        "NeuroKit2 hrv_time + hrv_frequency, 1 h": median_ms(nk_metrics, r),
        "NeuroKit2 correction + hrv_time + hrv_frequency, 1 h": median_ms(nk_pipeline, r),
        "artefact correction (NeuroKit2 Kubios, to convergence)": median_ms(lambda: correct_artefacts(series), r),
        "window_metrics, 1 h (time + frequency)": median_ms(lambda: window_metrics(hour, hour.duration_s), r),
        "bootstrap 1,000 replicates, 10-min baseline": median_ms(
            lambda: replicates(baseline, METRICS, 1000, np.random.default_rng(0)), r
        ),
        "bootstrap, previous loop (test oracle)": median_ms(
            lambda: legacy_replicates(baseline, METRICS, 1000, np.random.default_rng(0)), max(1, r // 2)
        ),
        "vasovagal replay, 1 h": median_ms(lambda: detect_vasovagal(clean), r),
        "vasovagal replay, previous full recomputation (test oracle)": median_ms(lambda: legacy_detect(clean), r),
    }
    pairs = {
        "analyse_session / NeuroKit2 metrics": ("analyse_session, 1 h", "NeuroKit2 hrv_time + hrv_frequency, 1 h"),
        "analyse_session / NeuroKit2 correction + metrics": (
            "analyse_session, 1 h",
            "NeuroKit2 correction + hrv_time + hrv_frequency, 1 h",
        ),
        "window_metrics / NeuroKit2 metrics": (
            "window_metrics, 1 h (time + frequency)",
            "NeuroKit2 hrv_time + hrv_frequency, 1 h",
        ),
        "correction share of analyse_session": (
            "artefact correction (NeuroKit2 Kubios, to convergence)",
            "analyse_session, 1 h",
        ),
        "bootstrap / previous loop": (
            "bootstrap 1,000 replicates, 10-min baseline",
            "bootstrap, previous loop (test oracle)",
        ),
        "vasovagal replay / previous": (
            "vasovagal replay, 1 h",
            "vasovagal replay, previous full recomputation (test oracle)",
        ),
    }
    ratios = {name: (t[a][0] / t[b][0], t[a][1] / t[b][1]) for name, (a, b) in pairs.items()}
    print(f"{'':62s} {'wall ms':>9s} {'cpu ms':>9s}")
    for name, (wall, cpu) in t.items():
        print(f"{name:62s} {wall:9.1f} {cpu:9.1f}")
    print(f"{'ratio':62s} {'wall':>9s} {'cpu':>9s}")
    for name, (wall, cpu) in ratios.items():
        print(f"{name:62s} {wall:9.3f} {cpu:9.3f}")
    if args.json:
        args.json.write_text(json.dumps({"wall_cpu_ms": t, "ratios_wall_cpu": ratios, "runs": r}, indent=2))


if __name__ == "__main__":
    main()
