"""Needle guidance pinned to its exact words and boundaries (mutation testing found these
unpinned): the BMI 30 boundary, the notes a clinician reads, the longest needle."""

from __future__ import annotations

from filiform.core.kb.loader import load_kb
from filiform.core.safety.intake import PatientBody
from filiform.core.safety.needle import needle_guidance, shortest_reaching

KB = load_kb()
OBESE = (
    "BMI 30 or more: subcutaneous tissue is thicker; depth range widened by 25% "
    "(expert consensus) - confirm by palpation or ultrasound."
)
BEYOND = (
    "The usual depth of this target lies beyond the safe depth for this patient: needle "
    "superficially, choose another target, or measure skin-to-rib depth with ultrasound."
)
MEASURE = "No depth group matches this patient for this target: measure the depth with ultrasound."


def test_a_depth_no_standard_needle_reaches_gets_the_longest() -> None:
    assert shortest_reaching(121) == 125  # 121 + 5 mm of shaft is past every length
    assert shortest_reaching(120) == 125
    assert shortest_reaching(8) == 13 and shortest_reaching(8.1) == 15


def test_the_obese_widening_starts_at_bmi_30_exactly() -> None:
    below = needle_guidance(KB.targets["piriformis"], PatientBody(bmi=29.9), KB)
    at = needle_guidance(KB.targets["piriformis"], PatientBody(bmi=30), KB)
    assert below.insertion_mm == (50.0, 85.0) and OBESE not in below.notes
    assert at.insertion_mm == (50.0, 106.2) and at.notes[0] == OBESE
    assert not at.measure_with_ultrasound and at.max_safe_depth_mm is None and at.depth_basis is None


def test_every_depth_study_of_the_target_is_quoted_by_site() -> None:
    g = needle_guidance(KB.targets["upper_trapezius"], PatientBody(), KB)
    study = KB.depth["kearns2022_upper_trapezius_fluoro"]
    assert g.notes[0] == f"{study.site}: {study.notes}"
    assert set(study.citations) <= set(g.citations)


def test_a_thin_patient_reads_every_warning_in_order() -> None:
    g = needle_guidance(KB.targets["upper_trapezius"], PatientBody(), KB)
    assert g.notes[1:] == (
        BEYOND,
        MEASURE,
        "Stop at 4 mm: the shortest needle (13 mm) is longer than the safe depth.",
    )
    assert g.measure_with_ultrasound
    thin = needle_guidance(KB.targets["rhomboid_major"], PatientBody(bmi=19, sex="female"), KB)
    assert BEYOND in thin.notes and MEASURE not in thin.notes and not thin.measure_with_ultrasound
