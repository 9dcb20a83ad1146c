from __future__ import annotations

import json

import pytest
from hrv_synth import vasovagal_session

from filiform.core.hrv import analyse_session, summarise_session
from filiform.core.hrv.session import clear_analysis_cache
from filiform.errors import ValidationFailed


def test_summary_is_json_and_covers_every_phase() -> None:
    data = summarise_session(vasovagal_session(), "baseline=0-300,needling=300-900,rest=900-1200")
    json.dumps(data)
    assert [p["phase"]["name"] for p in data["phases"]] == ["baseline", "needling", "rest"]
    assert data["baseline"] == "baseline"
    assert len(data["events"]) == 1
    assert "Lipponen" in data["correction"]["method"]
    assert data["correction"]["ectopic"] + data["correction"]["longshort"] >= 3


def test_phase_beyond_the_recording_withholds_everything() -> None:
    data = summarise_session(vasovagal_session(), "baseline=0-300,late=5000-5300")
    late = data["phases"][1]
    assert late["n_beats"] == 0
    assert all(v["value"] is None for v in late["metrics"])


def test_bad_input_is_a_validation_error() -> None:
    with pytest.raises(ValidationFailed):
        summarise_session([70.0] * 100, "baseline=0-60")


def test_without_bootstrap_changes_are_reported_without_an_interval() -> None:
    analysis = analyse_session(vasovagal_session(), "baseline=0-300,needling=300-900", n_boot=0)
    timed = [c for c in analysis.changes if c.metric in ("hr", "rmssd", "sdnn", "pnn50")]
    assert len(timed) == 4
    for change in timed:
        assert change.delta is not None and change.ci_low is None and change.ci_high is None
        assert "no uncertainty interval" in change.statement
    with pytest.raises(ValidationFailed, match="negative"):
        analyse_session(vasovagal_session(), "baseline=0-300,needling=300-900", n_boot=-1)


def test_a_repeated_analysis_is_served_from_the_cache_and_new_input_is_not() -> None:
    clear_analysis_cache()
    spec = "baseline=0-300,needling=300-900"
    first = analyse_session(vasovagal_session(4), spec, n_boot=50)
    assert analyse_session(vasovagal_session(4), spec, n_boot=50) is first
    assert analyse_session(vasovagal_session(4), spec, n_boot=50, seed=1) is not first
    other = analyse_session(vasovagal_session(5), spec, n_boot=50)
    assert other is not first and other.rr_ms != first.rr_ms
    clear_analysis_cache()
    again = analyse_session(vasovagal_session(4), spec, n_boot=50)
    assert again is not first and again == first
