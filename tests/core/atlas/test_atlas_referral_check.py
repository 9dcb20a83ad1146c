"""Referral patterns: every zone touches the rest of its pattern unless the source draws a
separate spot, and nothing crosses the midline unless the source does."""

from filiform.core.atlas.build import load_atlas
from filiform.core.atlas.referral_check import check_referrals
from filiform.core.kb.loader import load_kb
from filiform.core.kb.models import ReferralPattern


def _with_pattern(tp_id: str, **pattern):
    kb = load_kb()
    muscle = next(m for m, tp in kb.trigger_points() if tp.id == tp_id)
    tps = tuple(
        tp.model_copy(update={"referral": ReferralPattern(**pattern)}) if tp.id == tp_id else tp
        for tp in muscle.trigger_points
    )
    kb.targets[muscle.id] = muscle.model_copy(update={"trigger_points": tps})
    return kb


def test_the_shipped_patterns_pass():
    assert check_referrals(load_kb(), load_atlas()) == []


def test_an_isolated_cell_is_rejected_unless_the_source_draws_a_separate_spot():
    stray = _with_pattern("temporalis_tp_anterior", essential=("temple-anterior", "temple-middle", "dorsal-big-toe"))
    issues = check_referrals(stray, load_atlas())
    assert [(i.trigger_point, i.message) for i in issues] == [
        ("temporalis_tp_anterior", "'dorsal-big-toe' is an isolated cell (touches nothing else)")
    ]
    allowed = _with_pattern(
        "temporalis_tp_anterior", essential=("temple-anterior", "dorsal-big-toe"), separate=("dorsal-big-toe",)
    )
    assert check_referrals(allowed, load_atlas()) == []


def test_crossing_the_midline_needs_the_source_to_say_so():
    crossing = _with_pattern("temporalis_tp_anterior", essential=("temple-anterior", "contralateral:temple-anterior"))
    assert any("crosses the midline" in i.message for i in check_referrals(crossing, load_atlas()))
    said = _with_pattern(
        "temporalis_tp_anterior",
        essential=("temple-anterior", "temple-middle", "contralateral:temple-anterior", "contralateral:temple-middle"),
        crosses_midline=True,
    )
    assert check_referrals(said, load_atlas()) == []


def test_a_midline_cell_is_not_a_crossing():
    midline = _with_pattern("temporalis_tp_anterior", essential=("temple-anterior", "frontal-scalp-lateral", "vertex"))
    assert not any("crosses" in i.message for i in check_referrals(midline, load_atlas()))


def test_infraspinatus_reaches_the_radial_border_of_the_forearm():
    tp = next(tp for _, tp in load_kb().trigger_points() if tp.id == "infraspinatus_tp1")
    assert {"radial-forearm-prox", "radial-forearm-mid", "radial-forearm-lower"} <= set(tp.referral.spillover)
