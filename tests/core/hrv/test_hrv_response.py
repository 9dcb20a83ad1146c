"""Change from baseline and its bootstrap interval."""

from __future__ import annotations

import numpy as np
import pytest

from filiform.core.hrv import metrics as m
from filiform.core.hrv.response import changes_from_baseline
from filiform.core.hrv.series import RRSeries


def _window(mean_ms: float, seed: int, seconds: float = 300.0) -> tuple[RRSeries, list]:
    rng = np.random.default_rng(seed)
    n = int(seconds * 1000 / mean_ms)
    rr = mean_ms + rng.normal(0, 25, n)
    series = RRSeries.from_intervals(rr)
    return series, m.window_metrics(series, seconds)


def _by_metric(changes: list) -> dict:
    return {c.metric: c for c in changes}


def test_a_real_heart_rate_rise_is_reported_with_an_interval_covering_it() -> None:
    # 1000 ms -> 60/min, 750 ms -> 80/min: a true rise of ~20 beats/min.
    out = _by_metric(changes_from_baseline(_window(1000, 1), "needling", _window(750, 2)))
    hr = out["hr"]
    assert hr.ci_low is not None and hr.ci_high is not None
    assert hr.ci_low > 0
    assert hr.ci_low < 60000 / 750 - 60000 / 1000 + 1 < hr.ci_high + 2
    assert "higher than baseline" in hr.statement


def test_same_process_gives_an_interval_that_includes_zero() -> None:
    inside = 0
    for seed in range(10):
        out = _by_metric(changes_from_baseline(_window(850, seed), "rest", _window(850, seed + 100), n_boot=300))
        rm = out["rmssd"]
        assert rm.ci_low is not None and rm.ci_high is not None
        inside += rm.ci_low <= 0 <= rm.ci_high
    assert inside >= 8  # a 95 % interval should rarely exclude a true zero


def test_too_short_phase_is_not_compared() -> None:
    out = _by_metric(changes_from_baseline(_window(800, 1), "needling", _window(800, 2, seconds=40)))
    assert out["lf"].delta is None and "cannot support" in out["lf"].statement
    assert out["sdnn"].delta is not None


def test_statements_make_no_autonomic_claims() -> None:
    out = changes_from_baseline(_window(1000, 1), "needling", _window(750, 2))
    text = " ".join(c.statement for c in out).lower()
    for word in ("parasympathetic", "sympathetic", "vagal", "relax"):
        assert word not in text
    assert out[0].delta == pytest.approx(out[0].value - out[0].baseline)
