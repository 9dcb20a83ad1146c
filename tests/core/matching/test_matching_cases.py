"""Worked examples of the matcher on the shipped knowledge base."""

import pytest
from pydantic import ValidationError

from filiform.core.concepts import Side
from filiform.core.matching import DrawnRegion, Finding, PainDrawing, match


def regions(*ids, intensity=6, **extra):
    return tuple(DrawnRegion(region=r, intensity=intensity, **extra) for r in ids)


def test_temple_upper_teeth_and_eyebrow_rank_temporalis_first():
    result = match(
        PainDrawing(regions=regions("right-temple-middle", "right-upper-teeth-front", "right-eyebrow-lateral"))
    )
    first = result.muscles[0]
    assert (first.muscle_id, first.side, first.rank) == ("temporalis", Side.RIGHT, 1)
    assert {"right-temple-middle", "right-upper-teeth-front"} <= set(first.essential_hits)
    assert first.tps and all(tp.startswith("temporalis_") for tp in first.tps)


def test_a_left_sided_drawing_points_to_left_muscles():
    result = match(PainDrawing(regions=regions("left-temple-middle", "left-upper-teeth-front")))
    assert result.muscles[0].side is Side.LEFT


def test_a_muscle_is_scored_by_its_trigger_points_together_and_shows_which():
    """Chest and inner arm are the patterns of two pectoralis major trigger points at once."""
    chest = ("right-parasternal-lower", "right-pectoral-lower-medial", "right-pectoral-lower-lateral", "right-nipple")
    arm = ("right-medial-arm-upper", "right-medial-arm-middle", "right-medial-arm-lower", "right-biceps-middle")
    result = match(PainDrawing(regions=regions(*chest, *arm)))
    first = result.muscles[0]
    assert first.muscle_id == "pectoralis_major"
    assert len(first.tps) >= 2
    assert "trigger points together" in " ".join(first.reasons)
    singles = [r for r in result.ranked if r.muscle_id == "pectoralis_major"]
    assert first.score > max(r.score for r in singles)


def test_equal_scores_share_a_rank():
    result = match(PainDrawing(regions=regions("midline-vertex")))
    ranks = {}
    for m in result.muscles:
        ranks.setdefault(m.score, set()).add(m.rank)
    assert all(len(r) == 1 for r in ranks.values())
    tied = [m for m in result.muscles if m.rank == result.muscles[0].rank]
    assert len(tied) >= 2  # the vertex is midline: left and right copies of a pattern tie
    assert {m.side for m in tied} == {Side.LEFT, Side.RIGHT}


def test_no_ranked_target_has_a_score_of_zero_or_less():
    result = match(PainDrawing(regions=regions("right-dorsal-toe-3", "midline-nose", "right-ischial-tuberosity")))
    assert all(m.score > 0 for m in result.muscles)
    assert all(r.score > 0 for r in result.ranked)


def test_when_nothing_explains_the_drawing_it_says_so():
    scattered = ("right-dorsal-toe-3", "left-knuckle-ring", "midline-nose", "right-ear", "left-plantar-toe-4",
                 "right-flank-lateral", "left-olecranon", "midline-coccyx", "right-palmar-ring-proximal")  # fmt: skip
    result = match(PainDrawing(regions=regions(*scattered, intensity=1)))
    if result.muscles:
        assert not result.nothing_explains
    else:
        assert result.nothing_explains and result.cover == []


def test_numbness_and_pins_and_needles_bring_the_nerve_forward():
    hand = ("right-palmar-thumb-distal", "right-palmar-index-distal", "right-palmar-middle-distal")
    ache = match(PainDrawing(regions=regions(*hand)))
    numb = match(PainDrawing(regions=regions(*hand, kind="numbness")))

    def rank(result, target):
        return next((m.rank for m in result.muscles if m.muscle_id == target and m.side is Side.RIGHT), 999)

    assert rank(numb, "median_nerve_wrist") < rank(ache, "median_nerve_wrist")
    assert rank(numb, "median_nerve_wrist") == 1
    assert next(m for m in numb.muscles if m.muscle_id == "median_nerve_wrist").kind == "nerve"
    assert any("neural causes" in n for n in numb.notes)


def test_deep_pain_favours_deep_muscles():
    buttock = ("right-central-buttock", "right-lower-buttock", "right-posterior-thigh-upper")
    surface = {m.muscle_id: m.score for m in match(PainDrawing(regions=regions(*buttock, depth="surface"))).muscles}
    deep = {m.muscle_id: m.score for m in match(PainDrawing(regions=regions(*buttock, depth="deep"))).muscles}
    deep_muscles = [m for m in deep if m in surface and m in ("piriformis", "gluteus_minimus", "quadratus_femoris")]
    superficial = [m for m in deep if m in surface and m in ("gluteus_maximus",)]
    assert deep_muscles and superficial
    for m in deep_muscles:
        for s in superficial:
            assert deep[m] - deep[s] > surface[m] - surface[s]


def test_recognised_pain_on_palpation_raises_that_muscle():
    base = PainDrawing(regions=regions("right-temple-middle", "right-posterolateral-neck-upper"))
    with_finding = base.model_copy(
        update={"findings": (Finding(muscle="upper_trapezius", side=Side.RIGHT, recognised_pain=True, taut_band=True),)}
    )
    before = {(m.muscle_id, m.side): m.score for m in match(base, limit=None).muscles}
    after = {(m.muscle_id, m.side): m for m in match(with_finding, limit=None).muscles}
    key = ("upper_trapezius", Side.RIGHT)
    assert after[key].score == pytest.approx(before[key] + 1.5)
    assert "findings: recognised pain, taut band" in after[key].reasons


def test_a_condition_prior_raises_its_muscles():
    drawing = PainDrawing(regions=regions("right-temple-middle", "right-posterolateral-neck-upper"))
    plain = {r.muscle_id: r.score for r in match(drawing, limit=None).muscles if r.side is Side.RIGHT}
    boosted = {
        r.muscle_id: r.score
        for r in match(drawing, priors={"upper_trapezius": 3.0}, limit=None).muscles
        if r.side is Side.RIGHT
    }
    assert boosted["upper_trapezius"] == pytest.approx(plain["upper_trapezius"] + 1.0986, abs=1e-3)
    assert boosted["temporalis"] == pytest.approx(plain["temporalis"])


def test_a_partly_covered_region_counts_less_than_a_whole_one():
    full = match(PainDrawing(regions=regions("right-temple-middle", "right-upper-teeth-front")))
    part = match(PainDrawing(regions=regions("right-temple-middle", "right-upper-teeth-front", coverage=0.8)))
    score = {m.muscle_id: m.score for m in full.muscles}
    assert next(m.score for m in part.muscles if m.muscle_id == "temporalis") < score["temporalis"]


def test_wrong_types_and_unknown_kinds_are_rejected_not_coerced():
    with pytest.raises(ValidationError):
        DrawnRegion(region="right-temple-middle", intensity="7")
    with pytest.raises(ValidationError):
        DrawnRegion(region="right-temple-middle", intensity=11)
    with pytest.raises(ValidationError):
        DrawnRegion(region="right-temple-middle", intensity=5, kind="tingling")
    with pytest.raises(ValidationError):
        DrawnRegion(region="right-temple-middle", intensity=5, coverage=0)
