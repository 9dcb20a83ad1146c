"""Safe depths under 13 mm (shorter than the shortest standard needle) on the shipped data.

For a thin patient the published skin-to-rib groups give caps of a few millimetres (Seol
2014: a lighter patient is never allowed more than the BMI 23-25 group's mean - 2 SD,
24 - 2 x 9 = 6 mm, minus the 2 mm margin: 4 mm).  The
planned insertion must stop at the cap, and because even the shortest needle is longer
than the cap, the guidance must say where to stop, in those words.  Nothing is skipped
when the cap is small: that is the case that matters.
"""

from __future__ import annotations

import pytest

from filiform.core.kb.loader import load_kb
from filiform.core.safety.intake import PatientBody
from filiform.core.safety.needle import STANDARD_LENGTHS_MM, needle_guidance

KB = load_kb()
LUNG = sorted(t for t, v in KB.targets.items() if v.lung_adjacent)
THIN = PatientBody(bmi=19, sex="female")


def test_the_shipped_data_has_lung_targets_with_caps_under_13_mm() -> None:
    small = {t: needle_guidance(KB.targets[t], THIN, KB).max_safe_depth_mm for t in LUNG}
    assert len(LUNG) >= 5
    assert {t for t, cap in small.items() if cap is not None and cap < 13} == set(LUNG)


def test_rhomboid_for_a_thin_patient_stops_at_4_mm_and_says_so() -> None:
    g = needle_guidance(KB.targets["rhomboid_major"], THIN, KB)
    assert g.max_safe_depth_mm == 4.0  # the 23-25 group's 24 - 2 x 9 = 6 mm, minus 2 mm margin
    assert g.insertion_mm == (4.0, 4.0)
    assert g.length_mm == 13
    assert "Stop at 4 mm: the shortest needle (13 mm) is longer than the safe depth." in g.notes


@pytest.mark.parametrize("tid", LUNG)
def test_insertion_never_passes_a_small_cap_and_the_stop_is_always_written(tid: str) -> None:
    g = needle_guidance(KB.targets[tid], THIN, KB)
    cap = g.max_safe_depth_mm
    assert cap is not None and cap < STANDARD_LENGTHS_MM[0]
    lo, hi = g.insertion_mm
    assert lo <= hi <= cap
    assert g.length_mm == STANDARD_LENGTHS_MM[0]
    assert f"Stop at {hi:g} mm: the shortest needle (13 mm) is longer than the safe depth." in g.notes
