"""Early warning of a vasovagal reaction from the heart-rate stream.

What the literature shows (sources in docs/hrv.md): in tilt-induced vasovagal syncope heart
rate typically rises with the orthostatic stress and then falls in the minutes before the
faint, with the blood-pressure fall; Virag et al. (Heart Rhythm 2007) predicted tilt-induced
syncope from RR-interval and blood-pressure trends and, in their prospective follow-up (2018,
PMID 29715516), from heart rate and its variability alone about a minute ahead (median 1 min
13 s). The VASIS classification (Brignole et al., Europace 2000) calls a response
cardioinhibitory when the rate falls below 40 beats/min for more than 10 s.

The rule used here is a simple, transparent version of that pattern, not a validated
predictor (and heart rate alone misses a purely vasodepressor fall in blood pressure):

* **warning** - the smoothed heart rate (median of the last ``smoothing_s`` seconds, which
  ignores isolated ectopic beats) rose at least ``rise_bpm`` above baseline and has since
  fallen at least ``drop_bpm`` below its peak of the last ``lookback_s`` seconds, and the fall
  has lasted ``sustain_s`` seconds;
* **alarm** - the smoothed heart rate has stayed below ``brady_bpm`` for ``brady_s`` seconds
  (the VASIS cardioinhibitory threshold).

:class:`VasovagalMonitor` takes one beat at a time so the same code serves a live stream and
a stored recording (:func:`detect_vasovagal`).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from filiform.core.hrv.series import RRSeries
from filiform.core.hrv.units import RR_MAX_MS, RR_MIN_MS


class VasovagalRule(BaseModel):
    """Thresholds of the rule; defaults are documented in docs/hrv.md."""

    model_config = ConfigDict(frozen=True)

    smoothing_s: float = 20.0
    baseline_s: float = 60.0
    rise_bpm: float = 5.0
    drop_bpm: float = 15.0
    lookback_s: float = 180.0
    sustain_s: float = 20.0
    brady_bpm: float = 40.0
    brady_s: float = 10.0


class VasovagalEvent(BaseModel):
    """A warning or alarm: when the pattern began, when it was confirmed, and why."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["warning", "alarm"]
    onset_s: float
    detected_s: float
    hr_bpm: float
    reference_bpm: float
    message: str


class _RunningMedian:
    """Median of the values of the last ``span`` seconds: a time-ordered queue and a sorted copy.

    Each beat inserts one value and drops the expired ones (a bisection and a short list
    move each), instead of sorting the whole window again at every beat.
    """

    def __init__(self, span: float):
        self.span = span
        self._queue: deque[tuple[float, float]] = deque()
        self._sorted: list[float] = []

    def push(self, t: float, value: float) -> float:
        self._queue.append((t, value))
        insort(self._sorted, value)
        while self._queue[0][0] < t - self.span:
            _, old = self._queue.popleft()
            del self._sorted[bisect_left(self._sorted, old)]
        n = len(self._sorted)
        mid = n // 2
        # as numpy's median: the middle value, or the mean of the two middle values
        return self._sorted[mid] if n % 2 else (self._sorted[mid - 1] + self._sorted[mid]) / 2.0


class _RunningMax:
    """Maximum of the values of the last ``span`` seconds (a queue kept in decreasing order)."""

    def __init__(self, span: float):
        self.span = span
        self._queue: deque[tuple[float, float]] = deque()

    def push(self, t: float, value: float) -> float:
        while self._queue and self._queue[-1][1] <= value:
            self._queue.pop()
        self._queue.append((t, value))
        while self._queue[0][0] < t - self.span:
            self._queue.popleft()
        return self._queue[0][1]


class VasovagalMonitor:
    """Incremental detector: feed beats with :meth:`push`, read new events it returns."""

    def __init__(self, rule: VasovagalRule | None = None, baseline_bpm: float | None = None):
        self.rule = rule or VasovagalRule()
        self.baseline_bpm = baseline_bpm
        self._recent = _RunningMedian(self.rule.smoothing_s)
        self._peak = _RunningMax(self.rule.lookback_s)
        self._baseline_samples: list[float] = []
        self._start: float | None = None
        self._drop_since: float | None = None
        self._drop_reported = False
        self._brady_since: float | None = None
        self._brady_reported = False

    def push(self, time_s: float, rr_ms: float) -> list[VasovagalEvent]:
        """Add the beat ending at ``time_s``; return any event it confirms."""
        if not (RR_MIN_MS <= rr_ms <= RR_MAX_MS):
            return []  # implausible interval: an artefact, not a heart rate
        r = self.rule
        if self._start is None:
            self._start = time_s
        hr = self._recent.push(time_s, 60000.0 / rr_ms)
        if time_s - self._start < r.smoothing_s:
            return []
        peak = self._peak.push(time_s, hr)
        if self.baseline_bpm is None:
            if time_s - self._start < r.baseline_s:
                self._baseline_samples.append(hr)
                return []
            self.baseline_bpm = float(np.median(self._baseline_samples or [hr]))
        return [e for e in (self._check_drop(time_s, hr, peak), self._check_brady(time_s, hr)) if e]

    def _check_drop(self, t: float, hr: float, peak: float) -> VasovagalEvent | None:
        r = self.rule
        assert self.baseline_bpm is not None
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


def detect_vasovagal(
    series: RRSeries, rule: VasovagalRule | None = None, baseline_bpm: float | None = None
) -> list[VasovagalEvent]:
    """Run the monitor over a stored series, beat by beat, and collect its events."""
    monitor = VasovagalMonitor(rule, baseline_bpm)
    events: list[VasovagalEvent] = []
    for t, rr in zip(series.times_s, series.rr_ms, strict=True):
        events.extend(monitor.push(float(t), float(rr)))
    return events
