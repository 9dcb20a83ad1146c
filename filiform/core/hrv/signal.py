"""ECG or PPG samples (already in memory) to RR intervals with NeuroKit2 peak detection.

ECG: ``ecg_clean`` then ``ecg_peaks`` (NeuroKit's default QRS detector). PPG: ``ppg_clean``
then ``ppg_findpeaks`` (Elgendi et al. 2013 systolic-peak detector). Peak correction is left
to :mod:`filiform.core.hrv.artefacts` so every source is cleaned by the same method. Pulse
intervals from PPG are pulse-rate variability, which tracks but is not identical to HRV.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from filiform.core.hrv.series import RRSeries
from filiform.errors import ValidationFailed

SignalKind = Literal["ecg", "ppg"]
MIN_RATE_HZ: dict[SignalKind, float] = {"ecg": 100.0, "ppg": 25.0}


def peaks_from_signal(samples: NDArray[np.float64], sampling_rate: float, kind: SignalKind) -> NDArray[np.int64]:
    """Sample indices of R peaks (ECG) or systolic peaks (PPG)."""
    import neurokit2 as nk

    if kind not in MIN_RATE_HZ:
        raise ValidationFailed(f"unknown signal kind {kind!r}; use ecg or ppg")
    if sampling_rate < MIN_RATE_HZ[kind]:
        raise ValidationFailed(
            f"{kind.upper()} sampled at {sampling_rate:g} Hz is too coarse for beat timing "
            f"(need at least {MIN_RATE_HZ[kind]:g} Hz)"
        )
    x = np.asarray(samples, dtype=np.float64)
    if x.size < sampling_rate * 10:
        raise ValidationFailed("the signal is shorter than 10 s")
    if not np.all(np.isfinite(x)) or float(np.ptp(x)) == 0.0:
        raise ValidationFailed(f"the {kind.upper()} channel is flat or has missing samples")
    fs = round(sampling_rate)
    if kind == "ecg":
        _, info = nk.ecg_peaks(nk.ecg_clean(x, sampling_rate=fs), sampling_rate=fs)
        peaks = info["ECG_R_Peaks"]
    else:
        info = nk.ppg_findpeaks(nk.ppg_clean(x, sampling_rate=fs), sampling_rate=fs)
        peaks = info["PPG_Peaks"]
    return np.asarray(peaks, dtype=np.int64)


def rr_from_signal(samples: NDArray[np.float64], sampling_rate: float, kind: SignalKind = "ecg") -> RRSeries:
    """RR series from a raw signal; beat times are peak times from the recording start."""
    peaks = peaks_from_signal(samples, sampling_rate, kind)
    if peaks.size < 3:
        raise ValidationFailed(f"found only {peaks.size} beats; is this channel really an {kind.upper()}?")
    times = peaks / float(sampling_rate)
    return RRSeries(rr_ms=np.diff(times) * 1000.0, times_s=times[1:])
