"""Change from baseline, MCID, responder classification and trend summaries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from filiform.core.outcomes import (
    Classification,
    DatedScore,
    interpret_change,
    summarise_trend,
)
from filiform.errors import ValidationFailed


def test_lower_is_better_improvement_reaching_the_mcid() -> None:
    """NDI 40 % -> 24 %: 16 percentage points better; Vernon's MCID 10 reached."""
    change = interpret_change("ndi", 40, 24)
    assert change.change == -16
    assert change.improvement == 16
    assert change.mcid == 10
    assert change.mcid_reached is True
    assert change.classification is Classification.IMPROVED
    assert change.responder is True
    assert change.percent_improvement == 40
    assert "reached" in change.explanation


def test_rmdq_worked_example_percent_improvement() -> None:
    """RMDQ manual example: 12 at the start, 2 at the end = 10 points, 83 % improvement."""
    change = interpret_change("rmdq", 12, 2)
    assert change.improvement == 10
    assert change.percent_improvement == pytest.approx(83.33, abs=0.01)
    assert change.mcid_reached is True  # Ostelo 2008: 5 points
    assert change.percent_mcid_reached is True  # and 30 %


def test_higher_is_better_and_mdc() -> None:
    """LEFS 40 -> 45: 5 points, below the MCID and the MDC of 9 (Binkley 1999)."""
    change = interpret_change("lefs", 40, 45)
    assert change.improvement == 5
    assert change.classification is Classification.UNCHANGED
    assert change.beyond_mdc is False
    assert "measurement error" in change.explanation
    assert interpret_change("lefs", 40, 49).classification is Classification.IMPROVED


def test_worsening_by_the_mcid() -> None:
    change = interpret_change("nprs", 3, 6)
    assert change.improvement == -3
    assert change.classification is Classification.WORSENED
    assert change.responder is False


def test_nprs_percent_threshold_is_separate_from_points() -> None:
    """Farrar 2001: about 2 points or about 30 %. From 2 to 1: 50 % but only 1 point."""
    change = interpret_change("nprs", 2, 1)
    assert change.percent_mcid_reached is True
    assert change.mcid_reached is False
    assert change.classification is Classification.UNCHANGED


def test_subscale_and_clinic_override() -> None:
    change = interpret_change("koos", 50, 66, scale="pain")
    assert (change.mcid, change.classification) == (15, Classification.IMPROVED)
    custom = interpret_change("koos", 50, 66, scale="pain", mcid=20)
    assert custom.classification is Classification.UNCHANGED
    assert "set by the clinic" in custom.explanation
    with pytest.raises(ValidationFailed, match="no scale 'total'"):
        interpret_change("koos", 50, 60)


def test_no_mcid_means_unclassified() -> None:
    change = interpret_change("jfls_8", 4, 2)
    assert change.classification is Classification.UNCLASSIFIED
    assert change.responder is False
    assert "No MCID" in change.explanation


def test_out_of_range_and_anchor_errors() -> None:
    with pytest.raises(ValidationFailed, match="outside the range 0-100"):
        interpret_change("ndi", 40, 120)
    with pytest.raises(ValidationFailed, match="already rates change"):
        interpret_change("pgic", 4, 2)
    with pytest.raises(ValidationFailed, match="MCID must be positive"):
        interpret_change("ndi", 40, 20, mcid=0)


def weekly(values: list[float], start: date = date(2026, 1, 5)) -> list[DatedScore]:
    return [DatedScore(when=start + timedelta(weeks=i), value=v) for i, v in enumerate(values)]


def test_trend_improving_with_sustained_mcid() -> None:
    trend = summarise_trend("ndi", weekly([44, 40, 36, 30, 26, 22]))
    assert trend.sessions == 6
    assert (trend.baseline, trend.latest, trend.best, trend.worst) == (44, 22, 22, 44)
    assert trend.trajectory == "improving"
    assert trend.first_mcid_date == date(2026, 1, 26)
    assert trend.mcid_sustained is True
    assert trend.slope_per_week is not None and trend.slope_per_week < 0
    assert trend.improvement_per_week is not None and trend.improvement_per_week > 0
    assert trend.latest_change is not None and trend.latest_change.responder


def test_trend_not_sustained_and_unordered_input() -> None:
    points = weekly([30, 18, 25, 29])
    trend = summarise_trend("ndi", list(reversed(points)))
    assert trend.baseline == 30
    assert trend.first_mcid_date == date(2026, 1, 12)
    assert trend.mcid_sustained is False
    assert trend.trajectory == "stable"
    assert "has not held" in trend.summary


def test_trend_worsening_higher_is_better() -> None:
    trend = summarise_trend("lefs", weekly([60, 55, 50, 45]))
    assert trend.trajectory == "worsening"
    assert trend.first_mcid_date is None
    assert trend.latest_change is not None
    assert trend.latest_change.classification is Classification.WORSENED


def test_trend_single_score_and_empty() -> None:
    trend = summarise_trend("nprs", weekly([6]))
    assert trend.trajectory == "single_score"
    assert trend.latest_change is None
    assert "no trend yet" in trend.summary
    with pytest.raises(ValidationFailed, match="no scores"):
        summarise_trend("nprs", [])
    with pytest.raises(ValidationFailed, match="outside the range"):
        summarise_trend("nprs", weekly([6, 12]))


def test_trend_for_an_anchor_counts_responders() -> None:
    trend = summarise_trend("pgic", weekly([4, 3, 2, 1]))
    assert trend.responders == 2
    assert trend.latest_change is None


def test_trend_without_mcid_uses_range_fraction() -> None:
    trend = summarise_trend("jfls_8", weekly([5, 4, 3, 2]))
    assert trend.trajectory == "improving"
    assert "5 % of the range" in trend.trajectory_basis
