"""The vectorised bootstrap and the running-window monitor agree with the algorithms they replaced.

The oracles in ``legacy_hrv`` are the loop-based versions as they were. Bootstrap values
may differ only by floating-point summation order (documented tolerance: 1e-9 relative,
1e-9 absolute; observed about 1e-15); vasovagal events must be identical. Hypothesis runs
derandomised, so a failure reproduces.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hrv_synth import vasovagal_session
from hypothesis import given, settings
from hypothesis import strategies as st
from legacy_hrv import legacy_detect
from legacy_hrv import replicates as legacy_replicates

from filiform.core.hrv import response, session
from filiform.core.hrv.bootstrap import replicates
from filiform.core.hrv.metrics import window_metrics
from filiform.core.hrv.response import changes_from_baseline
from filiform.core.hrv.series import RRSeries
from filiform.core.hrv.session import analyse_session
from filiform.core.hrv.vasovagal import VasovagalRule, detect_vasovagal

FIXTURES = Path(__file__).parents[2] / "fixtures" / "hrv"
RTOL = ATOL = 1e-9
TIME_METRICS = ("hr", "rmssd", "sdnn", "pnn50")
SEEDED = settings(max_examples=60, deadline=None, derandomize=True)


def noisy_series(seed: int, n: int, mean_ms: float, sd_ms: float, bad_share: float) -> RRSeries:
    """Random intervals with some implausible ones (too short or too long) mixed in."""
    rng = np.random.default_rng(seed)
    rr = np.clip(mean_ms + rng.normal(0, sd_ms, n), 1.0, None)
    bad = rng.random(n) < bad_share
    rr[bad] = rng.choice([120.0, 3600.0], size=int(bad.sum()))
    return RRSeries(rr_ms=rr, times_s=np.cumsum(rr) / 1000.0)


series_args = st.tuples(
    st.integers(0, 10_000),
    st.integers(3, 900),
    st.floats(350, 1400),
    st.floats(2, 150),
    st.sampled_from([0.0, 0.0, 0.05, 0.3]),
)


def assert_same(new: np.ndarray, old: np.ndarray) -> None:
    assert np.array_equal(np.isnan(new), np.isnan(old))
    np.testing.assert_allclose(new[~np.isnan(new)], old[~np.isnan(old)], rtol=RTOL, atol=ATOL)


@SEEDED
@given(series_args, st.integers(1, 300), st.integers(0, 2**32 - 1))
def test_bootstrap_replicates_equal_the_concatenating_loop(args: tuple, n_boot: int, seed: int) -> None:
    series = noisy_series(*args)
    new = replicates(series, TIME_METRICS, n_boot, np.random.default_rng(seed))
    old = legacy_replicates(series, TIME_METRICS, n_boot, np.random.default_rng(seed))
    for metric in TIME_METRICS:
        assert_same(new[metric], old[metric])


@SEEDED
@given(series_args, series_args, st.integers(0, 1000))
def test_change_intervals_equal_those_of_the_old_bootstrap(base_args: tuple, phase_args: tuple, seed: int) -> None:
    base, phase = noisy_series(*base_args), noisy_series(*phase_args)
    pair = [(s, window_metrics(s, s.duration_s)) for s in (base, phase)]
    changes = {c.metric: c for c in changes_from_baseline(pair[0], "phase", pair[1], n_boot=200, seed=seed)}
    usable = tuple(k for k in TIME_METRICS if changes[k].ci_low is not None)
    rng = np.random.default_rng(seed)
    old_base = legacy_replicates(base, usable, 200, rng) if usable else {}
    old_phase = legacy_replicates(phase, usable, 200, rng) if usable else {}
    for metric in usable:
        lo, hi = np.nanpercentile(old_phase[metric] - old_base[metric], [2.5, 97.5])
        assert changes[metric].ci_low == pytest.approx(lo, rel=RTOL, abs=ATOL)
        assert changes[metric].ci_high == pytest.approx(hi, rel=RTOL, abs=ATOL)


def hr_path_series(seed: int, minutes: int, knots: int, bad_share: float) -> RRSeries:
    """Heart rate moving between random levels (30-150/min): rises, falls and bradycardia."""
    rng = np.random.default_rng(seed)
    at = np.sort(rng.uniform(0, minutes * 60, knots))
    level = rng.uniform(30, 150, knots)
    t, out = 0.0, []
    while t < minutes * 60:
        hr = float(np.interp(t, at, level))
        rr = 60000.0 / hr + rng.normal(0, 15)
        out.append(rr if rng.random() >= bad_share else float(rng.choice([150.0, 4000.0])))
        t += max(out[-1], 250.0) / 1000
    rr = np.asarray(out)
    return RRSeries(rr_ms=rr, times_s=np.cumsum(rr) / 1000.0)


rules = st.builds(
    VasovagalRule,
    smoothing_s=st.sampled_from([5.0, 10.0, 20.0, 33.3]),
    baseline_s=st.sampled_from([30.0, 60.0]),
    rise_bpm=st.sampled_from([0.0, 5.0, 10.0]),
    drop_bpm=st.sampled_from([5.0, 15.0]),
    lookback_s=st.sampled_from([30.0, 180.0]),
    sustain_s=st.sampled_from([0.0, 20.0]),
    brady_bpm=st.sampled_from([40.0, 55.0]),
    brady_s=st.sampled_from([0.0, 10.0]),
)


@SEEDED
@given(
    st.integers(0, 10_000),
    st.integers(1, 20),
    st.integers(2, 12),
    st.sampled_from([0.0, 0.02]),
    rules,
    st.sampled_from([None, 70.0]),
)
def test_vasovagal_events_are_identical_to_the_full_recomputation(
    seed: int, minutes: int, knots: int, bad: float, rule: VasovagalRule, baseline: float | None
) -> None:
    series = hr_path_series(seed, minutes, knots, bad)
    assert detect_vasovagal(series, rule, baseline) == legacy_detect(series, rule, baseline)


def test_the_shipped_examples_give_the_same_events() -> None:
    nni = np.load(FIXTURES / "pyhrv_SampleNNISeriesLong.npy").astype(float)
    for rr in (nni, vasovagal_session(1), vasovagal_session(2, faint=False)):
        series = RRSeries.from_intervals(rr)
        assert detect_vasovagal(series) == legacy_detect(series)


def test_one_hour_analysis_equals_the_old_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole session analysis with the old bootstrap and monitor swapped back in."""
    nni = np.load(FIXTURES / "pyhrv_SampleNNISeriesLong.npy").astype(float)
    spec = "baseline=0-600,needling=600-2400,rest=2400-3600"
    new = analyse_session(nni, spec, n_boot=300, seed=4).model_dump()
    monkeypatch.setattr(response, "replicates", legacy_replicates)
    monkeypatch.setattr(session, "detect_vasovagal", legacy_detect)
    session.clear_analysis_cache()
    old = analyse_session(nni, spec, n_boot=300, seed=4).model_dump()
    assert new["events"] == old["events"] and len(new["events"]) == 1
    assert [c["statement"] for c in new["changes"]] == [c["statement"] for c in old["changes"]]
    for a, b in zip(new["changes"], old["changes"], strict=True):
        for key in ("ci_low", "ci_high"):
            assert (a[key] is None) == (b[key] is None)
            if a[key] is not None:
                assert a[key] == pytest.approx(b[key], rel=RTOL, abs=ATOL)
    rest = {k: v for k, v in new.items() if k != "changes"}
    assert rest == {k: v for k, v in old.items() if k != "changes"}
    session.clear_analysis_cache()
