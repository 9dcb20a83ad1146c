"""Synthetic RR series whose true properties are known by construction (shared by tests)."""

from __future__ import annotations

import numpy as np


def sinusoid_rr(
    duration_s: float, mean_ms: float = 800.0, parts: tuple[tuple[float, float], ...] = ((0.25, 30.0),)
) -> np.ndarray:
    """RR(t) = mean + sum A sin(2 pi f t), sampled beat by beat; power of each part is A^2/2."""
    t, out = 0.0, []
    while t < duration_s:
        rr = mean_ms + sum(a * np.sin(2 * np.pi * f * t) for f, a in parts)
        out.append(rr)
        t += rr / 1000.0
    return np.asarray(out)


def vasovagal_session(seed: int = 0, faint: bool = True, ectopics: bool = True) -> np.ndarray:
    """Baseline 70/min for 300 s, rise to 85/min during needling, then (faint) a fall to
    48/min over 60 s starting at 600 s - the rise-then-fall pattern of a vasovagal reaction."""
    rng = np.random.default_rng(seed)
    t, out = 0.0, []
    while t < 1200:
        if t < 300:
            hr = 70.0
        elif t < 600 or not faint:
            hr = 70 + 15 * min(1.0, (t - 300) / 60)
        else:
            hr = 85 - 37 * min(1.0, (t - 600) / 60)
        rr = 60000 / hr + 25 * np.sin(2 * np.pi * 0.25 * t) + rng.normal(0, 12)
        out.append(rr)
        t += rr / 1000
    arr = np.asarray(out)
    if ectopics:
        for i in (150, 420, 700):
            arr[i] *= 0.65
            arr[i + 1] += arr[i] * 0.5
    return arr
