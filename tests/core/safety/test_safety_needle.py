"""Needle guidance: lung-adjacent flagging and safe depth from depth studies."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from filiform.core.kb.loader import KnowledgeBase, load_kb
from filiform.core.kb.models import DepthStudy
from filiform.core.safety.intake import PatientBody
from filiform.core.safety.needle import STANDARD_LENGTHS_MM, needle_guidance


def _kb_with_pleura_model() -> tuple[KnowledgeBase, str]:
    kb = load_kb()
    study = DepthStudy(
        id="test_ct_pleura",
        site="Interscapular intercostal space",
        measures="skin_to_pleura",
        method="CT scan",
        subjects=50,
        population="adults",
        mean_mm=37,
        sd_mm=7,
        bmi_intercept_mm=-43,
        bmi_slope_mm=3.8,
        citations=("donnelly2019",),
    )
    target = kb.targets["upper_trapezius"].model_copy(update={"depth_data": ("test_ct_pleura",)})
    fake = KnowledgeBase(
        citations=kb.citations,
        danger=kb.danger,
        depth={**kb.depth, study.id: study},
        targets={**kb.targets, target.id: target},
    )
    return fake, target.id


def test_lung_adjacent_target_always_flagged_with_safe_technique() -> None:
    kb = load_kb()
    g = needle_guidance(kb.targets["upper_trapezius"], PatientBody(), kb)
    assert g.lung_adjacent and g.safe_technique and "pincer" in g.safe_technique
    assert "kearns2022_trapezius_pleura" in g.citations
    assert g.length_mm < 40  # 40 mm and longer reached the pleura in the cadaver study


def test_non_lung_target_has_no_safe_technique() -> None:
    kb = load_kb()
    g = needle_guidance(kb.targets["temporalis"], PatientBody(bmi=24), kb)
    assert not g.lung_adjacent and g.safe_technique is None and g.max_safe_depth_mm is None


@settings(max_examples=40, deadline=None)
@given(st.floats(16, 45))
def test_needle_never_longer_than_safe_depth(bmi: float) -> None:
    kb, tid = _kb_with_pleura_model()
    g = needle_guidance(kb.targets[tid], PatientBody(bmi=bmi), kb)
    assert g.max_safe_depth_mm is not None
    assert g.insertion_mm[1] <= g.max_safe_depth_mm
    if g.max_safe_depth_mm >= STANDARD_LENGTHS_MM[0]:
        assert g.length_mm <= g.max_safe_depth_mm


def test_thin_patient_gets_shallower_limit_than_heavy_patient() -> None:
    kb, tid = _kb_with_pleura_model()
    thin = needle_guidance(kb.targets[tid], PatientBody(bmi=18), kb)
    heavy = needle_guidance(kb.targets[tid], PatientBody(bmi=35), kb)
    assert thin.max_safe_depth_mm is not None and heavy.max_safe_depth_mm is not None
    assert thin.max_safe_depth_mm < heavy.max_safe_depth_mm
    assert thin.depth_basis and "2 SD" in thin.depth_basis


def test_bmi_from_height_and_weight() -> None:
    assert PatientBody(height_cm=180, weight_kg=81).bmi_value == 25.0
