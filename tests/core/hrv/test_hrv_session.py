from __future__ import annotations

import json

import pytest
from hrv_synth import vasovagal_session

from filiform.core.hrv import summarise_session
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
