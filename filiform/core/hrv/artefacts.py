"""Artefact and ectopic-beat correction.

Method: the beat classification of Lipponen & Tarvainen (2019, J Med Eng Technol),
the algorithm Kubios automates, as implemented by NeuroKit2's ``signal_fixpeaks(method=
"Kubios")``. It compares each interval's successive difference and its deviation from a local
median against time-varying thresholds and labels ectopic, long/short, missed and extra beats;
missed beats get an inserted beat, extra beats are removed and ectopic or long/short beats are
moved. We run it to convergence (at most five passes) and report what each pass changed.
Intervals still outside 250-3000 ms afterwards are marked invalid, not guessed.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

from filiform.core.hrv.series import RRSeries
from filiform.errors import ValidationFailed

METHOD = "Lipponen & Tarvainen 2019 (NeuroKit2 signal_fixpeaks, method='Kubios')"
_MAX_PASSES = 5
_MIN_BEATS = 10


class CorrectionReport(BaseModel):
    """What correction did, so a reader can judge how much of the series is original."""

    model_config = ConfigDict(frozen=True)

    method: str
    n_input: int
    n_output: int
    ectopic: int = 0
    missed: int = 0
    extra: int = 0
    longshort: int = 0
    invalid_after: int = 0

    @property
    def corrected(self) -> int:
        """Beats moved, inserted or removed."""
        return self.ectopic + self.missed + self.extra + self.longshort


def correct_artefacts(series: RRSeries) -> tuple[RRSeries, CorrectionReport]:
    """Return the corrected series and a report; short series are returned unchanged."""
    import neurokit2 as nk  # heavy import, only when correction runs

    n_in = int(series.rr_ms.size)
    counts = {"ectopic": 0, "missed": 0, "extra": 0, "longshort": 0}
    if n_in < _MIN_BEATS:
        raise ValidationFailed(f"need at least {_MIN_BEATS} beats to correct artefacts")
    first_beat_ms = (series.times_s[0] * 1000.0) - series.rr_ms[0]
    peaks = np.round(np.concatenate([[first_beat_ms], series.times_s * 1000.0]) - first_beat_ms).astype(np.int64)
    for _ in range(_MAX_PASSES):
        info, fixed = nk.signal_fixpeaks(peaks, sampling_rate=1000, iterative=False, method="Kubios")
        fixed = np.asarray(fixed, dtype=np.int64)
        if fixed.shape == peaks.shape and np.array_equal(fixed, peaks):
            break
        for key in counts:
            counts[key] += len(info.get(key, []))
        peaks = fixed
    rr = np.diff(peaks).astype(np.float64)
    times = (peaks[1:] + first_beat_ms) / 1000.0
    out = RRSeries(rr_ms=rr, times_s=times)
    report = CorrectionReport(
        method=METHOD,
        n_input=n_in,
        n_output=int(rr.size),
        invalid_after=int((~out.valid).sum()),
        **counts,
    )
    return out, report
