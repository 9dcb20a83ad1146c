"""Artefact correction on series with known injected artefacts."""

from __future__ import annotations

import numpy as np
import pytest
from hrv_synth import sinusoid_rr

from filiform.core.hrv import metrics as m
from filiform.core.hrv.artefacts import correct_artefacts
from filiform.core.hrv.series import RRSeries
from filiform.errors import ValidationFailed


def _truth() -> np.ndarray:
    return sinusoid_rr(300, parts=((0.25, 20.0), (0.1, 15.0)))


def test_clean_series_is_left_alone() -> None:
    truth = _truth()
    fixed, report = correct_artefacts(RRSeries.from_intervals(truth))
    assert report.corrected == 0
    assert fixed.rr_ms == pytest.approx(np.round(truth), abs=1.0)


def test_ectopic_missed_and_extra_beats_are_found_and_repaired() -> None:
    truth = _truth()
    dirty = truth.copy()
    dirty[50], dirty[51] = truth[50] * 0.6, truth[51] + truth[50] * 0.4  # premature beat
    dirty = np.concatenate([dirty[:120], [dirty[120] + dirty[121]], dirty[122:]])  # missed
    dirty = np.concatenate([dirty[:250], [dirty[250] * 0.5] * 2, dirty[251:]])  # extra beat
    fixed, report = correct_artefacts(RRSeries.from_intervals(dirty))
    assert report.ectopic + report.longshort >= 1
    assert report.missed >= 1
    assert report.extra >= 1
    assert fixed.rr_ms.size == truth.size
    true_rmssd = m.rmssd(np.diff(truth))
    assert m.rmssd(np.diff(dirty)) > 3 * true_rmssd  # artefacts dominate when uncorrected
    assert m.rmssd(fixed.successive_differences()) == pytest.approx(true_rmssd, rel=0.15)
    error = np.abs(fixed.rr_ms - truth)
    near = np.zeros(truth.size, dtype=bool)
    for i in (50, 120, 250):
        near[i - 3 : i + 4] = True
    assert error[~near].max() < 2.0  # untouched beats stay exact (1 ms rounding)
    assert error[near].max() < 0.4 * truth[50]  # the premature beat was 40 % early


def test_too_few_beats_to_correct() -> None:
    with pytest.raises(ValidationFailed, match="at least 10 beats"):
        correct_artefacts(RRSeries.from_intervals([800.0] * 5))
