"""Moving-block bootstrap of the time-domain metrics, computed from per-block sums.

A replicate is ``k`` blocks of ``block`` consecutive beats drawn with replacement (blocks keep
the short-range correlation of the series; successive differences are taken only inside a
block). Every time-domain metric is a ratio of sums over the replicate's beats, so each
candidate block is summarised once (valid beats, sum of 60000/RR, sums of RR deviations and
their squares, successive differences, their squares and those over 50 ms) and a replicate is
the sum of its blocks' rows: one gather over a ``(n_boot, k)`` index array instead of
concatenating arrays in a Python loop. The draws are the same as before
(``rng.integers(0, n_blocks, size=(n_boot, k))``); values agree with concatenating the blocks
up to floating-point summation order (about 1e-12 relative; ``tests/core/hrv`` keeps the
concatenating version and compares them). SDNN uses deviations from the window's mean RR, so
the sum-of-squares formula does not lose precision to cancellation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from filiform.core.hrv import metrics as m
from filiform.core.hrv.series import RRSeries

Floats = NDArray[np.float64]
Scalar = TypeVar("Scalar", np.float64, np.int64)


def block_length(n: int) -> int:
    """Beats per block: the cube root of the series length, at least five."""
    root: float = n ** (1 / 3)
    return max(5, round(root))


@dataclass(frozen=True)
class BlockSums:
    """Per candidate block (row ``i`` = beats ``i .. i+block-1``): the sums a metric needs."""

    n_rr: NDArray[np.int64]
    hr: Floats
    dev: Floats
    dev2: Floats
    n_diff: NDArray[np.int64]
    diff2: Floats
    over50: NDArray[np.int64]


def _window_sums(values: NDArray[Scalar], width: int, count: int) -> NDArray[Scalar]:
    """Sum of every run of ``width`` consecutive values (``count`` runs)."""
    if width <= 0:
        return np.zeros(count, dtype=values.dtype)
    sums: NDArray[Scalar] = sliding_window_view(values, width).sum(axis=1)
    return sums


def block_sums(series: RRSeries, block: int) -> BlockSums:
    """Sums over every moving block (one block of all beats when the series is shorter)."""
    rr, valid = series.rr_ms, series.valid
    n = rr.size
    width = min(block, n)
    count = n - width + 1
    ref = float(rr[valid].mean()) if valid.any() else 0.0
    dev = np.where(valid, rr - ref, 0.0)
    inst_hr = np.divide(60000.0, rr, out=np.zeros_like(rr), where=valid)
    diffs = np.diff(rr)
    both = valid[1:] & valid[:-1]
    dsq = np.where(both, diffs**2, 0.0)
    over = both & (np.abs(diffs) > 50.0)
    return BlockSums(
        n_rr=_window_sums(valid.astype(np.int64), width, count),
        hr=_window_sums(inst_hr, width, count),
        dev=_window_sums(dev, width, count),
        dev2=_window_sums(dev**2, width, count),
        n_diff=_window_sums(both.astype(np.int64), width - 1, count),
        diff2=_window_sums(dsq, width - 1, count),
        over50=_window_sums(over.astype(np.int64), width - 1, count),
    )


def replicates(
    series: RRSeries, metrics: tuple[m.MetricName, ...], n_boot: int, rng: np.random.Generator
) -> dict[m.MetricName, Floats]:
    """``n_boot`` bootstrap values of each metric (NaN where a replicate cannot support it)."""
    n = series.rr_ms.size
    block = block_length(n)
    sums = block_sums(series, block)
    k = max(1, round(n / block))
    picks = rng.integers(0, sums.n_rr.size, size=(n_boot, k))
    n_rr = sums.n_rr[picks].sum(axis=1)
    n_diff = sums.n_diff[picks].sum(axis=1)
    enough_rr, enough_diff = n_rr >= 2, n_diff >= 1
    rr_n = np.where(enough_rr, n_rr, 1).astype(np.float64)
    diff_n = np.where(enough_diff, n_diff, 1).astype(np.float64)
    out: dict[m.MetricName, Floats] = {}
    for metric in metrics:
        if metric == "hr":
            value = sums.hr[picks].sum(axis=1) / rr_n
        elif metric == "sdnn":
            dev = sums.dev[picks].sum(axis=1)
            ss = np.maximum(sums.dev2[picks].sum(axis=1) - dev * dev / rr_n, 0.0)
            value = np.sqrt(ss / np.maximum(rr_n - 1.0, 1.0))
        elif metric == "rmssd":
            value = np.sqrt(sums.diff2[picks].sum(axis=1) / diff_n)
        elif metric == "pnn50":
            value = 100.0 * (sums.over50[picks].sum(axis=1) / diff_n)
        else:
            raise ValueError(f"no bootstrap for {metric}")
        out[metric] = np.where(enough_rr if metric in ("hr", "sdnn") else enough_diff, value, np.nan)
    return out
