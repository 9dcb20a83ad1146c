"""Plan builder, handouts and the clinical-data check."""

from __future__ import annotations

import math
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
from filiform.errors import KnowledgeBaseError, NotFound

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
    assert plan.targets[0].source.startswith("fits the pain drawing")
    assert plan.targets[0].fit in ("strong", "moderate", "weak")
    assert "score" not in plan.targets[0].source  # no raw scores in the words a clinician reads
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


def test_clinical_data_check_passes() -> None:
    """Every condition target, non-compressible target, code and citation resolves: an
    unknown target is a data error, not something to filter out of the check."""
    assert [str(i) for i in check_clinical_data()] == []


def test_instruments_that_do_not_load_are_reported_not_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the instrument files are broken, conditions cannot be checked against them: the
    check says so instead of passing the conditions' outcome measures unseen."""
    from filiform.core.outcomes import registry

    def broken(**_: object) -> None:
        raise KnowledgeBaseError("instruments: 1 problem(s)", details=["instruments/ndi.yaml:3: bad item"])

    monkeypatch.setattr(registry, "list_instruments", broken)
    found = [str(i) for i in check_clinical_data()]
    assert found == ["instruments:1: instruments: 1 problem(s); instruments/ndi.yaml:3: bad item"]


@pytest.mark.parametrize("cid", sorted(load_conditions()))
def test_handout_is_plain_and_does_not_overclaim(cid: str) -> None:
    text = render_handout(cid, near_chest=True, anticoagulated=True)
    lower = text.lower()
    assert "quality of the research" in lower and "pneumothorax" in lower and "five minutes" in lower
    for word in ("proven", "guaranteed", "cures ", "miracle"):
        assert word not in lower
    assert "$" not in text


@pytest.mark.parametrize(
    ("sessions", "week", "words"),
    [
        ((3, 6), (1, 1), "3 to 6 sessions, once a week"),
        ((1, 1), (2, 2), "1 session, twice a week"),
        ((4, 8), (1, 2), "4 to 8 sessions, once or twice a week"),
        ((6, 12), (2, 3), "6 to 12 sessions, 2 to 3 times a week"),
        ((3, 3), (0.5, 0.5), "3 sessions, once every 2 weeks"),
    ],
)
def test_dose_is_written_in_words(sessions: tuple[float, float], week: tuple[float, float], words: str) -> None:
    from filiform.core.planning.wording import dose_words_from

    assert dose_words_from(*sessions, *week) == words


def test_fit_bands_follow_the_likelihood_ratio() -> None:
    from filiform.core.planning.wording import fit_of

    assert fit_of(math.log(10)) == "strong"
    assert fit_of(math.log(9.9)) == "moderate"
    assert fit_of(math.log(3)) == "moderate"
    assert fit_of(math.log(2.9)) == "weak"


def test_every_shipped_dose_reads_without_a_range_of_one() -> None:
    from filiform.core.planning.loader import load_conditions
    from filiform.core.planning.wording import dose_words

    for cond in load_conditions().values():
        text = dose_words(cond.dosing)
        assert "–" not in text and not any(f"{n}-{n}" in text or f"{n} to {n} " in text for n in range(1, 30))
