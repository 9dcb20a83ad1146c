"""Metric values against analytic truth and against pyhrv's published sample report."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hrv_synth import sinusoid_rr
from hypothesis import given, settings
from hypothesis import strategies as st

from filiform.core.hrv import metrics as m
from filiform.core.hrv.series import RRSeries

FIXTURES = Path(__file__).parents[2] / "fixtures" / "hrv"


def _values(series: RRSeries, duration: float) -> dict[str, float | None]:
    return {v.name: v.value for v in m.window_metrics(series, duration)}


def test_constant_and_alternating_series_have_known_values() -> None:
    flat = _values(RRSeries.from_intervals([1000.0] * 120), 120)
    assert flat["hr"] == pytest.approx(60.0)
    assert flat["rmssd"] == flat["sdnn"] == flat["pnn50"] == 0.0
    alt = np.tile([800.0, 900.0], 60)
    vals = _values(RRSeries.from_intervals(alt), 102)
    assert vals["rmssd"] == pytest.approx(100.0)
    assert vals["pnn50"] == pytest.approx(100.0)
    assert vals["sdnn"] == pytest.approx(50.0 * np.sqrt(120 / 119))
    assert vals["hr"] == pytest.approx((75.0 + 60000 / 900) / 2)


def test_spectral_power_of_known_sinusoids() -> None:
    # A sinusoid of amplitude A carries A^2/2 of power: HF 30 ms -> 450, LF 40 ms -> 800 ms².
    rr = sinusoid_rr(300, parts=((0.25, 30.0), (0.10, 40.0)))
    lf, hf = m.band_powers(RRSeries.from_intervals(rr))
    assert hf == pytest.approx(450.0, rel=0.08)
    assert lf == pytest.approx(800.0, rel=0.08)
    only_hf = m.band_powers(RRSeries.from_intervals(sinusoid_rr(300)))
    assert only_hf[0] < 0.02 * only_hf[1]


@pytest.mark.parametrize(
    ("duration", "present", "withheld"),
    [
        (20, {"hr", "rmssd"}, {"sdnn", "pnn50", "hf", "lf"}),
        (45, {"hr", "rmssd", "sdnn"}, {"pnn50", "hf", "lf"}),
        (90, {"hr", "rmssd", "sdnn", "pnn50", "hf"}, {"lf"}),
        (300, {"hr", "rmssd", "sdnn", "pnn50", "hf", "lf"}, set()),
    ],
)
def test_short_windows_withhold_metrics_with_a_reason(duration: float, present: set[str], withheld: set[str]) -> None:
    series = RRSeries.from_intervals(sinusoid_rr(duration))
    results = {v.name: v for v in m.window_metrics(series, duration)}
    assert {k for k, v in results.items() if v.value is not None} == present
    for name in withheld:
        assert results[name].reason is not None and "shorter than" in results[name].reason


def test_mostly_invalid_window_is_not_summarised() -> None:
    rr = np.array([800.0] * 10 + [4000.0] * 5)
    out = m.window_metrics(RRSeries(rr_ms=rr, times_s=np.cumsum(rr) / 1000), 60)
    assert all(v.value is None and "valid" in (v.reason or "") for v in out)


def _reference() -> dict[str, float]:
    text = (FIXTURES / "pyhrv_SampleReport.txt").read_text()

    def grab(label: str) -> float:
        match = re.search(re.escape(label) + r"\s*;\s*([0-9.]+)", text)
        assert match, label
        return float(match.group(1))

    powers = re.search(
        r"Absolute Powers \(Hz\)\s*;\s*\n\t-\t[0-9.]+\n\t-\t([0-9.]+)\n\t-\t"
        r"([0-9.]+)",
        text,
    )
    assert powers
    return {
        "hr": grab("Mean Heart Rate (bpm)"),
        "sdnn": grab("SDNN (ms)"),
        "rmssd": grab("RMSSD (ms)"),
        "pnn50": grab("pNN50 (%)"),
        "lf": float(powers.group(1)),
        "hf": float(powers.group(2)),
    }


def test_agreement_with_pyhrv_reference_report() -> None:
    """Real NN series shipped with pyhrv (BSD-3) and the report its authors published.

    Tolerances (docs/hrv.md): time domain 0.01 (rounding of the report); LF/HF 1 %, using
    pyhrv's Welch settings (75-s Hamming segments) for the comparison.
    """
    nni = np.load(FIXTURES / "pyhrv_SampleNNISeriesLong.npy").astype(float)
    ref = _reference()
    series = RRSeries.from_intervals(nni)
    diffs = np.diff(nni)
    assert m.mean_hr(nni) == pytest.approx(ref["hr"], abs=0.01)
    assert m.sdnn(nni) == pytest.approx(ref["sdnn"], abs=0.01)
    assert m.rmssd(diffs) == pytest.approx(ref["rmssd"], abs=0.01)
    assert m.pnn50(diffs) == pytest.approx(ref["pnn50"], abs=0.01)
    lf, hf = m.band_powers(series, segment_s=75)
    assert lf == pytest.approx(ref["lf"], rel=0.01)
    assert hf == pytest.approx(ref["hf"], rel=0.01)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(min_value=400, max_value=1500), min_size=5, max_size=80),
    st.floats(min_value=-100, max_value=100),
)
def test_rmssd_ignores_offsets_and_pnn50_is_a_percentage(rr: list[float], shift: float) -> None:
    arr = np.asarray(rr)
    assert m.rmssd(np.diff(arr + shift)) == pytest.approx(m.rmssd(np.diff(arr)), abs=1e-6)
    assert 0.0 <= m.pnn50(np.diff(arr)) <= 100.0
    assert m.sdnn(arr * 2) == pytest.approx(2 * m.sdnn(arr), rel=1e-9, abs=1e-9)
