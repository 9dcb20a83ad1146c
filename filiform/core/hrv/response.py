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

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from filiform.core.hrv import metrics as m
from filiform.core.hrv.bootstrap import replicates
from filiform.core.hrv.series import RRSeries
from filiform.errors import ValidationFailed

BOOTSTRAP_METHOD = "moving-block bootstrap of beats, 95% percentile interval"
CAVEAT = (
    "Descriptive only. Heart rate and HRV change with posture, breathing, talking, pain and "
    "anxiety; a change here is not evidence of a 'parasympathetic' or other treatment effect."
)
_TIME_METRICS: tuple[m.MetricName, ...] = ("hr", "rmssd", "sdnn", "pnn50")


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


def changes_from_baseline(
    baseline: tuple[RRSeries, list[m.MetricValue]],
    phase_name: str,
    phase: tuple[RRSeries, list[m.MetricValue]],
    *,
    n_boot: int = 1000,
    seed: int = 0,
) -> list[Change]:
    """Every metric of ``phase`` against ``baseline``; spectral ones without an interval.

    ``n_boot=0`` skips the bootstrap: the changes are reported without an interval.
    """
    if n_boot < 0:
        raise ValidationFailed(f"the number of bootstrap replicates cannot be negative ({n_boot})")
    rng = np.random.default_rng(seed)
    base_vals = {v.name: v.value for v in baseline[1]}
    vals = {v.name: v.value for v in phase[1]}
    usable = tuple(k for k in _TIME_METRICS if base_vals.get(k) is not None and vals.get(k) is not None)
    booted = usable if n_boot > 0 else ()
    base_reps = replicates(baseline[0], booted, n_boot, rng) if booted else {}
    reps = replicates(phase[0], booted, n_boot, rng) if booted else {}
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
        lo, hi = _interval(reps[metric] - base_reps[metric]) if metric in booted else (None, None)
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


def _interval(diff: NDArray[np.float64]) -> tuple[float | None, float | None]:
    """2.5th and 97.5th percentiles of the replicate differences, None when none is finite."""
    finite = diff[np.isfinite(diff)]
    if finite.size == 0:
        return None, None
    lo, hi = np.percentile(finite, [2.5, 97.5])
    return float(lo), float(hi)


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


def _statement(metric: m.MetricName, delta: float, lo: float | None, hi: float | None) -> str:
    unit = m.UNITS[metric]
    label = "heart rate" if metric == "hr" else metric.upper()
    if lo is None or hi is None:
        return f"{label} change {delta:+.1f} {unit} (no uncertainty interval was estimated; indicative only)"
    if lo <= 0.0 <= hi:
        return (
            f"{label} change {delta:+.1f} {unit} is within measurement uncertainty "
            f"(95% interval {lo:+.1f} to {hi:+.1f})"
        )
    direction = "higher" if delta > 0 else "lower"
    return f"{label} {direction} than baseline by {abs(delta):.1f} {unit} (95% interval {lo:+.1f} to {hi:+.1f})"
