"""The HRV algorithms as they were before vectorisation, kept ONLY as a test oracle.

``replicates`` built every bootstrap replicate by concatenating its blocks in a Python loop;
``LegacyMonitor`` recomputed a median and a maximum over the whole window at every beat. The
production code (``filiform.core.hrv.bootstrap``, ``filiform.core.hrv.vasovagal``) must agree
with them: exactly for the vasovagal events, within floating-point summation order for the
bootstrap values. Copied from the code as of the commit that replaced them; do not import
this from the package.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from filiform.core.hrv import metrics as m
from filiform.core.hrv.series import RRSeries
from filiform.core.hrv.units import RR_MAX_MS, RR_MIN_MS
from filiform.core.hrv.vasovagal import VasovagalEvent, VasovagalRule

Blocks = list[tuple[NDArray[np.float64], NDArray[np.float64]]]


def _blocks(series: RRSeries, block: int) -> Blocks:
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


def replicates(
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


class LegacyMonitor:
    """The beat-by-beat monitor with a full median and maximum at every beat."""

    def __init__(self, rule: VasovagalRule | None = None, baseline_bpm: float | None = None):
        self.rule = rule or VasovagalRule()
        self.baseline_bpm = baseline_bpm
        self._recent: deque[tuple[float, float]] = deque()
        self._smoothed: deque[tuple[float, float]] = deque()
        self._baseline_samples: list[float] = []
        self._start: float | None = None
        self._drop_since: float | None = None
        self._drop_reported = False
        self._brady_since: float | None = None
        self._brady_reported = False

    def push(self, time_s: float, rr_ms: float) -> list[VasovagalEvent]:
        if not (RR_MIN_MS <= rr_ms <= RR_MAX_MS):
            return []
        r = self.rule
        if self._start is None:
            self._start = time_s
        self._recent.append((time_s, 60000.0 / rr_ms))
        while self._recent[0][0] < time_s - r.smoothing_s:
            self._recent.popleft()
        if time_s - self._start < r.smoothing_s:
            return []
        hr = float(np.median([h for _, h in self._recent]))
        self._smoothed.append((time_s, hr))
        while self._smoothed[0][0] < time_s - r.lookback_s:
            self._smoothed.popleft()
        if self.baseline_bpm is None:
            if time_s - self._start < r.baseline_s:
                self._baseline_samples.append(hr)
                return []
            self.baseline_bpm = float(np.median(self._baseline_samples or [hr]))
        return [e for e in (self._check_drop(time_s, hr), self._check_brady(time_s, hr)) if e]

    def _check_drop(self, t: float, hr: float) -> VasovagalEvent | None:
        r = self.rule
        assert self.baseline_bpm is not None
        peak = max(h for _, h in self._smoothed)
        dropping = peak >= self.baseline_bpm + r.rise_bpm and peak - hr >= r.drop_bpm
        if not dropping:
            self._drop_since, self._drop_reported = None, False
            return None
        if self._drop_since is None:
            self._drop_since = t
        if self._drop_reported or t - self._drop_since < r.sustain_s:
            return None
        self._drop_reported = True
        return VasovagalEvent(
            kind="warning",
            onset_s=self._drop_since,
            detected_s=t,
            hr_bpm=hr,
            reference_bpm=peak,
            message=(
                f"heart rate rose to {peak:.0f} and has fallen to {hr:.0f} beats/min for "
                f"{r.sustain_s:.0f} s: watch for a vasovagal reaction (pallor, sweating, "
                "nausea); consider stopping and lying the patient down"
            ),
        )

    def _check_brady(self, t: float, hr: float) -> VasovagalEvent | None:
        r = self.rule
        if hr >= r.brady_bpm:
            self._brady_since, self._brady_reported = None, False
            return None
        if self._brady_since is None:
            self._brady_since = t
        if self._brady_reported or t - self._brady_since < r.brady_s:
            return None
        self._brady_reported = True
        return VasovagalEvent(
            kind="alarm",
            onset_s=self._brady_since,
            detected_s=t,
            hr_bpm=hr,
            reference_bpm=r.brady_bpm,
            message=(
                f"heart rate below {r.brady_bpm:.0f} beats/min for {r.brady_s:.0f} s: "
                "stop needling, lie the patient down, check pulse and responsiveness"
            ),
        )


def legacy_detect(
    series: RRSeries, rule: VasovagalRule | None = None, baseline_bpm: float | None = None
) -> list[VasovagalEvent]:
    monitor = LegacyMonitor(rule, baseline_bpm)
    events: list[VasovagalEvent] = []
    for t, rr in zip(series.times_s, series.rr_ms, strict=True):
        events.extend(monitor.push(float(t), float(rr)))
    return events
