"""Change from baseline with the measurement's own uncertainty.

A difference between two short windows of RR intervals is noisy even in a person at rest. We
estimate that noise from the data by a moving-block bootstrap (blocks of consecutive beats
keep the short-range correlation of the series; successive differences are taken only inside
a block). Each phase and the baseline are resampled independently, the metric difference is
computed per replicate, and the 2.5th-97.5th percentiles give a 95 % interval. The statement
made is only whether that interval excludes zero: the data cannot say *why* a metric moved
(posture, breathing, talking, pain and anxiety all move heart rate), so no autonomic claim is
made.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from filiform.core.hrv import metrics as m
from filiform.core.hrv.series import RRSeries

BOOTSTRAP_METHOD = "moving-block bootstrap of beats, 95% percentile interval"
CAVEAT = (
    "Descriptive only. Heart rate and HRV change with posture, breathing, talking, pain and "
    "anxiety; a change here is not evidence of a 'parasympathetic' or other treatment effect."
)
_TIME_METRICS: tuple[m.MetricName, ...] = ("hr", "rmssd", "sdnn", "pnn50")

Blocks = list[tuple[NDArray[np.float64], NDArray[np.float64]]]


class Change(BaseModel):
    """A metric in one phase against baseline, with a 95 % bootstrap interval."""

    model_config = ConfigDict(frozen=True)

    phase: str
    metric: m.MetricName
    unit: str
    baseline: float | None
    value: float | None
    delta: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    statement: str


def _blocks(series: RRSeries, block: int) -> Blocks:
    """All moving blocks of ``block`` consecutive intervals: (valid RR, valid diffs)."""
    out: Blocks = []
    n = series.rr_ms.size
    for start in range(max(1, n - block + 1)):
        sub = RRSeries(
            rr_ms=series.rr_ms[start : start + block],
            times_s=series.times_s[start : start + block],
            valid=series.valid[start : start + block],
        )
        out.append((sub.valid_rr(), sub.successive_differences()))
    return out


def _stat(metric: m.MetricName) -> Callable[[NDArray[np.float64], NDArray[np.float64]], float]:
    funcs: dict[m.MetricName, Callable[[NDArray[np.float64], NDArray[np.float64]], float]] = {
        "hr": lambda rr, d: m.mean_hr(rr),
        "sdnn": lambda rr, d: m.sdnn(rr),
        "rmssd": lambda rr, d: m.rmssd(d),
        "pnn50": lambda rr, d: m.pnn50(d),
    }
    return funcs[metric]


def _replicates(
    series: RRSeries, metrics: tuple[m.MetricName, ...], n_boot: int, rng: np.random.Generator
) -> dict[m.MetricName, NDArray[np.float64]]:
    n = series.rr_ms.size
    block = max(5, round(n ** (1 / 3)))
    blocks = _blocks(series, block)
    k = max(1, round(n / block))
    picks = rng.integers(0, len(blocks), size=(n_boot, k))
    out = {metric: np.empty(n_boot) for metric in metrics}
    for b in range(n_boot):
        rr = np.concatenate([blocks[i][0] for i in picks[b]])
        diffs = np.concatenate([blocks[i][1] for i in picks[b]])
        for metric in metrics:
            ok = rr.size >= 2 if metric in ("hr", "sdnn") else diffs.size >= 1
            out[metric][b] = _stat(metric)(rr, diffs) if ok else np.nan
    return out


def changes_from_baseline(
    baseline: tuple[RRSeries, list[m.MetricValue]],
    phase_name: str,
    phase: tuple[RRSeries, list[m.MetricValue]],
    *,
    n_boot: int = 1000,
    seed: int = 0,
) -> list[Change]:
    """Every metric of ``phase`` against ``baseline``; spectral ones without an interval."""
    rng = np.random.default_rng(seed)
    base_vals = {v.name: v.value for v in baseline[1]}
    vals = {v.name: v.value for v in phase[1]}
    usable = tuple(k for k in _TIME_METRICS if base_vals.get(k) is not None and vals.get(k) is not None)
    base_reps = _replicates(baseline[0], usable, n_boot, rng) if usable else {}
    reps = _replicates(phase[0], usable, n_boot, rng) if usable else {}
    out: list[Change] = []
    for metric in m.METRICS:
        b, v = base_vals.get(metric), vals.get(metric)
        if b is None or v is None:
            out.append(_withheld(phase_name, metric, b, v))
            continue
        delta = v - b
        if metric not in usable:
            out.append(
                Change(
                    phase=phase_name,
                    metric=metric,
                    unit=m.UNITS[metric],
                    baseline=b,
                    value=v,
                    delta=delta,
                    statement=f"{metric.upper()} power {delta:+.0f} ms² (no "
                    "uncertainty estimate for spectral power; indicative only)",
                )
            )
            continue
        diff = reps[metric] - base_reps[metric]
        lo, hi = (float(x) for x in np.nanpercentile(diff, [2.5, 97.5]))
        out.append(
            Change(
                phase=phase_name,
                metric=metric,
                unit=m.UNITS[metric],
                baseline=b,
                value=v,
                delta=delta,
                ci_low=lo,
                ci_high=hi,
                statement=_statement(metric, delta, lo, hi),
            )
        )
    return out


def _withheld(phase: str, metric: m.MetricName, b: float | None, v: float | None) -> Change:
    where = "baseline" if b is None else phase
    return Change(
        phase=phase,
        metric=metric,
        unit=m.UNITS[metric],
        baseline=b,
        value=v,
        delta=None,
        statement=f"not compared: the {where} window cannot support {metric.upper()}",
    )


def _statement(metric: m.MetricName, delta: float, lo: float, hi: float) -> str:
    unit = m.UNITS[metric]
    label = "heart rate" if metric == "hr" else metric.upper()
    if lo <= 0.0 <= hi:
        return (
            f"{label} change {delta:+.1f} {unit} is within measurement uncertainty "
            f"(95% interval {lo:+.1f} to {hi:+.1f})"
        )
    direction = "higher" if delta > 0 else "lower"
    return f"{label} {direction} than baseline by {abs(delta):.1f} {unit} (95% interval {lo:+.1f} to {hi:+.1f})"
