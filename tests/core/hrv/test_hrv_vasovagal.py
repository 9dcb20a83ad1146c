"""The vasovagal warning on synthetic patterns and on real resting data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hrv_synth import vasovagal_session
from hypothesis import given, settings
from hypothesis import strategies as st

from filiform.core.hrv.series import RRSeries
from filiform.core.hrv.vasovagal import VasovagalMonitor, detect_vasovagal

FIXTURES = Path(__file__).parents[2] / "fixtures" / "hrv"


def test_rise_then_fall_pattern_is_warned_early_in_the_fall() -> None:
    for seed in range(5):
        events = detect_vasovagal(RRSeries.from_intervals(vasovagal_session(seed)))
        warnings = [e for e in events if e.kind == "warning"]
        assert len(warnings) == 1
        # The fall starts at 600 s and reaches 48/min at 660 s.
        assert 600 < warnings[0].onset_s < warnings[0].detected_s < 680


def test_no_warning_without_the_fall_even_with_ectopic_beats() -> None:
    for seed in range(5):
        assert detect_vasovagal(RRSeries.from_intervals(vasovagal_session(seed, faint=False))) == []


def test_one_hour_of_real_resting_data_gives_at_most_one_false_warning() -> None:
    nni = np.load(FIXTURES / "pyhrv_SampleNNISeriesLong.npy").astype(float)
    assert len(detect_vasovagal(RRSeries.from_intervals(nni))) <= 1


def test_sustained_bradycardia_below_40_raises_an_alarm_after_10_s() -> None:
    rr = [850.0] * 200 + [1700.0] * 30  # 70/min, then ~35/min for 51 s
    events = detect_vasovagal(RRSeries.from_intervals(rr), baseline_bpm=70)
    alarms = [e for e in events if e.kind == "alarm"]
    assert len(alarms) == 1
    assert alarms[0].detected_s - alarms[0].onset_s >= 10


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=1, max_value=400))
def test_streaming_in_any_chunking_equals_the_batch_result(chunk: int) -> None:
    series = RRSeries.from_intervals(vasovagal_session(3))
    monitor = VasovagalMonitor()
    streamed = []
    for start in range(0, series.rr_ms.size, chunk):
        for t, rr in zip(series.times_s[start : start + chunk], series.rr_ms[start : start + chunk], strict=True):
            streamed.extend(monitor.push(float(t), float(rr)))
    assert streamed == detect_vasovagal(series)
