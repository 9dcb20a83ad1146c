from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filiform.core.hrv.parsing import parse_rr_text
from filiform.core.hrv.phases import parse_phase_spec
from filiform.core.hrv.units import detect_unit, to_milliseconds
from filiform.errors import ValidationFailed


def test_unit_detection_from_median() -> None:
    assert detect_unit(np.array([0.8, 0.82, 0.79])) == "s"
    assert detect_unit(np.array([800.0, 820.0, 790.0])) == "ms"


def test_heart_rate_column_is_refused_with_a_clear_reason() -> None:
    with pytest.raises(ValidationFailed, match="heart rate in beats/min"):
        to_milliseconds([72.0, 75.0, 71.0])


def test_nonsense_scale_and_bad_values_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="neither a plausible"):
        to_milliseconds([8000.0, 8100.0])
    with pytest.raises(ValidationFailed, match="zero or negative"):
        to_milliseconds([800.0, 0.0, 810.0])
    with pytest.raises(ValidationFailed, match="outside 250-3000"):
        to_milliseconds([800.0, 100.0, 120.0, 110.0, 130.0], unit="ms")


def test_plain_list_header_units_and_polar_formats() -> None:
    assert parse_rr_text("800\n810\n790\n").rr_ms.tolist() == [800, 810, 790]
    secs = parse_rr_text("time,RR (s)\n0.8,0.8\n1.61,0.81\n2.4,0.79\n")
    assert secs.rr_ms == pytest.approx([800, 810, 790])
    polar = parse_rr_text("Phone timestamp;RR-interval [ms]\n2024-01-01T10:00:00;800\n2024-01-01T10:00:01;810\n")
    assert polar.rr_ms.tolist() == [800, 810]
    hrm = parse_rr_text("[Params]\nVersion=106\n\n[HRData]\n800\n810\n790\n[Other]\n5\n")
    assert hrm.rr_ms.tolist() == [800, 810, 790]
    assert hrm.times_s == pytest.approx([0.8, 1.61, 2.4])


def test_malformed_rows_name_their_line() -> None:
    with pytest.raises(ValidationFailed, match="line 3: 'abc'"):
        parse_rr_text("RR [ms]\n800\nabc\n790\n")
    with pytest.raises(ValidationFailed, match="empty"):
        parse_rr_text("   \n")
    with pytest.raises(ValidationFailed, match="which of the 3 columns"):
        parse_rr_text("a,b,c\n1,800,3\n2,810,4\n")


def test_column_can_be_chosen() -> None:
    assert parse_rr_text("a,b\n5,800\n3,810\n", column="b").rr_ms.tolist() == [800, 810]
    assert parse_rr_text("a,b\n5,800\n3,810\n", column=1).rr_ms.tolist() == [800, 810]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=400, max_value=1500), min_size=3, max_size=60))
def test_seconds_and_milliseconds_files_agree(values: list[int]) -> None:
    ms = parse_rr_text("\n".join(str(v) for v in values))
    s = parse_rr_text("\n".join(f"{v / 1000:.3f}" for v in values))
    assert s.rr_ms == pytest.approx(ms.rr_ms)


def test_phase_spec() -> None:
    phases = parse_phase_spec("needling=300-900, baseline=0-300,rest=900-1200")
    assert [p.name for p in phases] == ["baseline", "needling", "rest"]
    for bad, msg in [
        ("baseline", "name=start-end"),
        ("a=5-1", "before it starts"),
        ("a=0-10,b=5-20", "overlap"),
        ("a=0-1,a=2-3", "repeat"),
        ("", "at least"),
    ]:
        with pytest.raises(ValidationFailed, match=msg):
            parse_phase_spec(bad)
