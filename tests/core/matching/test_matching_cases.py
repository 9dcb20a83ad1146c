"""Worked examples of the matcher on the shipped knowledge base."""

import pytest
from pydantic import ValidationError

from filiform.core.concepts import Side
from filiform.core.matching import DrawnRegion, Finding, PainDrawing, match


def regions(*ids, intensity=6):
    return tuple(DrawnRegion(region=r, intensity=intensity) for r in ids)


def test_temple_upper_teeth_and_eyebrow_rank_temporalis_in_the_top_three():
    result = match(PainDrawing(regions=regions("right-temple", "right-upper-teeth", "right-eyebrow")))
    top3 = [m.muscle_id for m in result.muscles[:3]]
    assert "temporalis" in top3
    best = next(r for r in result.ranked if r.muscle_id == "temporalis")
    assert best.side is Side.RIGHT
    assert {"right-temple", "right-upper-teeth"} <= set(best.essential_hits)


def test_a_left_sided_drawing_points_to_left_muscles():
    result = match(PainDrawing(regions=regions("left-temple", "left-upper-teeth")))
    assert result.muscles[0].side is Side.LEFT


def test_recognised_pain_on_palpation_raises_that_muscle():
    base = PainDrawing(regions=regions("right-temple", "right-posterolateral-neck-upper"))
    with_finding = base.model_copy(
        update={"findings": (Finding(muscle="upper_trapezius", side=Side.RIGHT, recognised_pain=True, taut_band=True),)}
    )
    score = {(r.tp_id, r.side): r.score for r in match(base).ranked}
    raised = {(r.tp_id, r.side): r for r in match(with_finding).ranked}
    key = ("upper_trapezius_tp1", Side.RIGHT)
    assert raised[key].score > score[key]
    assert raised[key].findings_applied == ("recognised_pain", "taut_band")


def test_a_condition_prior_raises_its_muscles():
    drawing = PainDrawing(regions=regions("right-temple"))
    plain = {r.muscle_id: r.score for r in match(drawing).muscles if r.side is Side.RIGHT}
    boosted = {
        r.muscle_id: r.score for r in match(drawing, priors={"upper_trapezius": 3.0}).muscles if r.side is Side.RIGHT
    }
    assert boosted["upper_trapezius"] > plain["upper_trapezius"]
    assert boosted["temporalis"] == pytest.approx(plain["temporalis"])


def test_burning_or_tingling_adds_a_note_about_neural_causes():
    drawing = PainDrawing(regions=(DrawnRegion(region="right-lateral-thigh", intensity=5, quality="burning"),))
    assert any("neural causes" in n for n in match(drawing).notes)


def test_wrong_types_are_rejected_not_coerced():
    with pytest.raises(ValidationError):
        DrawnRegion(region="right-temple", intensity="7")
    with pytest.raises(ValidationError):
        DrawnRegion(region="right-temple", intensity=11)
