"""The depth cap on constructed depth studies: the cases the shipped data cannot show yet.

The shipped studies (Seol 2014, Wada 2025) have no target whose own groups are split by
sex, no skin-to-rib study without groups next to one with them, no group whose lower bound
falls under the 2 mm margin, and only whole-millimetre figures.  Each study below is made
up for the test; every expected figure is worked out by hand in the comments from the rule
in docs/safety.md ("Numeric safe depth over the lung"): lower bound = mean - 2 SD, cap =
lower bound - 2 mm, never below 0 mm, the target's own fitting group first, otherwise the
most conservative fitting chest-wall study (measure with ultrasound), and the cap for a BMI
never above the cap of a heavier group.
"""

from __future__ import annotations

from filiform.core.kb.knowledge import KnowledgeBase
from filiform.core.kb.loader import load_kb
from filiform.core.kb.models import DepthRange, DepthStratum, DepthStudy, Target
from filiform.core.safety.depth import DepthCap, depth_cap, thorax_studies
from filiform.core.safety.intake import PatientBody
from filiform.core.safety.needle import needle_guidance

SHIPPED = load_kb()
OWN_NONE = "no group of this target's own studies fits; most conservative fitting study: "


def group(label: str, mean: float, sd: float, **limits: object) -> DepthStratum:
    return DepthStratum.model_validate({"label": label, "mean_mm": mean, "sd_mm": sd, **limits})


def study(ident: str, *strata: DepthStratum, measures: str = "skin_to_rib", mean: float | None = None) -> DepthStudy:
    return DepthStudy.model_validate(
        {
            "id": ident,
            "site": "Made-up chest wall site",
            "measures": measures,
            "method": "Constructed for a test",
            "subjects": 10,
            "population": "Nobody",
            "mean_mm": mean,
            "strata": strata,
            "citations": ("seol2014_rhomboid_depth",),
        }
    )


def world(*studies: DepthStudy, own: tuple[str, ...]) -> tuple[Target, KnowledgeBase]:
    """A lung-adjacent target (rhomboid major's approach) whose own studies are ``own``."""
    target = SHIPPED.targets["rhomboid_major"].model_copy(update={"depth_data": own})
    return target, KnowledgeBase(depth={s.id: s for s in studies}, targets={target.id: target})


SEXED = study(
    "sexed",
    group("women", 20, 3, sex="female"),  # 20 - 2 x 3 = 14
    group("men", 30, 4, sex="male"),  # 30 - 2 x 4 = 22
)


def test_the_patients_sex_picks_the_targets_own_group() -> None:
    target, kb = world(SEXED, own=("sexed",))
    men = "sexed (skin to rib, men: 30 ± 4 mm; mean - 2 SD = 22 mm)"
    women = "sexed (skin to rib, women: 20 ± 3 mm; mean - 2 SD = 14 mm)"
    assert depth_cap(target, PatientBody(sex="male"), kb) == DepthCap(
        20.0, f"{men}; minus 2 mm margin = 20 mm", False, ("sexed",)
    )  # 22 - 2
    assert depth_cap(target, PatientBody(sex="female"), kb) == DepthCap(
        12.0, f"{women}; minus 2 mm margin = 12 mm", False, ("sexed",)
    )  # 14 - 2
    # sex unknown: no group fits anywhere, so the smallest lower bound of any group (14 mm)
    assert depth_cap(target, PatientBody(), kb) == DepthCap(
        12.0,
        f"BMI or sex unknown; smallest lower bound of any study: {women}; minus 2 mm margin = 12 mm",
        True,
        ("sexed",),
    )


def test_the_heavier_group_checked_for_a_lighter_patient_is_of_the_patients_sex() -> None:
    own = study(
        "sexed_bmi",
        group("women below BMI 25", 20, 2, sex="female", bmi_max=25),  # 16
        group("women from BMI 25", 26, 3, sex="female", bmi_min=25),  # 20
        group("men from BMI 25", 14, 2, sex="male", bmi_min=25),  # 10: not hers
    )
    target, kb = world(own, own=("sexed_bmi",))
    got = depth_cap(target, PatientBody(bmi=22, sex="female"), kb)
    # her own group gives 16; the heavier women's group (20) does not lower it; 16 - 2 = 14
    assert got == DepthCap(
        14.0,
        "sexed_bmi (skin to rib, women below BMI 25: 20 ± 2 mm; mean - 2 SD = 16 mm); minus 2 mm margin = 14 mm",
        False,
        ("sexed_bmi",),
    )


def test_a_cap_lowered_by_another_study_says_measure_with_ultrasound() -> None:
    light = study("own_light", group("BMI below 25", 20, 2, bmi_max=25))  # 16
    heavy = study("other_heavy", group("BMI 25 or more", 18, 4, bmi_min=25), measures="skin_to_pleura")  # 10
    target, kb = world(light, heavy, own=("own_light",))
    got = depth_cap(target, PatientBody(bmi=22, sex="female"), kb)
    # own group fits (16, no ultrasound needed); at BMI 25 only the other study fits (10,
    # ultrasound): 10 < 16 lowers the cap, and the ultrasound advice comes with it. 10 - 2 = 8.
    assert got == DepthCap(
        8.0,
        "own_light (skin to rib, BMI below 25: 20 ± 2 mm; mean - 2 SD = 16 mm)"
        "; lowered to the cap for BMI 25 (a cap never rises as BMI falls): "
        + OWN_NONE
        + "other_heavy (skin to pleura, BMI 25 or more: 18 ± 4 mm; mean - 2 SD = 10 mm); minus 2 mm margin = 8 mm",
        True,
        ("own_light", "other_heavy"),
    )


def test_a_lower_bound_under_the_margin_gives_a_cap_of_zero_not_less_and_not_more() -> None:
    thin = study("thin", group("all", 5, 2))  # 5 - 2 x 2 = 1; 1 - 2 = -1, floored at 0
    target, kb = world(thin, own=("thin",))
    got = depth_cap(target, PatientBody(bmi=20, sex="male"), kb)
    assert got == DepthCap(0.0, "thin (skin to rib, all: 5 ± 2 mm; mean - 2 SD = 1 mm); minus 2 mm margin = 0 mm",
                           False, ("thin",))  # fmt: skip
    guide = needle_guidance(target, PatientBody(bmi=20, sex="male"), kb)
    assert guide.insertion_mm == (0.0, 0.0)
    assert "Stop at 0 mm: the shortest needle (13 mm) is longer than the safe depth." in guide.notes


def test_fractional_figures_are_rounded_to_a_tenth_of_a_millimetre() -> None:
    odd = study("odd", group("all", 20.37, 3))  # 20.37 - 6 = 14.37; 14.37 - 2 = 12.37 -> 12.4
    target, kb = world(odd, own=("odd",))
    got = depth_cap(target, PatientBody(bmi=20, sex="female"), kb)
    assert got.cap_mm == 12.4
    assert got.basis == "odd (skin to rib, all: 20.37 ± 3 mm; mean - 2 SD = 14.37 mm); minus 2 mm margin = 12.4 mm"


MUSCLE = study("to_muscle", group("all", 6, 1), measures="skin_to_muscle")  # 4: not a chest-wall depth
NO_GROUPS = study("rib_no_groups", mean=9)  # to the rib, but no groups to match
RIB = study("rib", group("all", 24, 3))  # 24 - 6 = 18


def test_only_studies_to_rib_or_pleura_with_groups_limit_the_depth() -> None:
    target, kb = world(MUSCLE, NO_GROUPS, RIB, own=("to_muscle", "rib_no_groups", "not_in_the_base", "rib"))
    assert [s.id for s in thorax_studies(kb)] == ["rib"]
    want = DepthCap(16.0, "rib (skin to rib, all: 24 ± 3 mm; mean - 2 SD = 18 mm); minus 2 mm margin = 16 mm",
                    False, ("rib",))  # fmt: skip
    assert depth_cap(target, PatientBody(bmi=21, sex="female"), kb) == want


def test_the_fallback_looks_only_at_chest_wall_studies_with_groups() -> None:
    target, kb = world(MUSCLE, NO_GROUPS, RIB, own=())
    assert depth_cap(target, PatientBody(bmi=21, sex="female"), kb) == DepthCap(
        16.0,
        OWN_NONE + "rib (skin to rib, all: 24 ± 3 mm; mean - 2 SD = 18 mm); minus 2 mm margin = 16 mm",
        True,
        ("rib",),
    )


def test_without_any_chest_wall_study_with_numbers_the_cap_is_zero() -> None:
    target, kb = world(MUSCLE, NO_GROUPS, own=("to_muscle", "rib_no_groups"))
    assert depth_cap(target, PatientBody(bmi=21, sex="female"), kb) == DepthCap(
        0.0, "no depth study with numbers: needle superficially only; minus 2 mm margin = 0 mm", True, ()
    )


def test_the_obese_widening_stops_at_120_mm() -> None:
    """100 mm x 1.25 = 125 mm, held at the 120 mm ceiling; 120 + 5 mm shaft = 125 mm needle."""
    base = SHIPPED.targets["gluteus_maximus"]
    approach = base.needling[0].model_copy(update={"depth_mm": DepthRange(min_mm=80, max_mm=100)})
    deep = base.model_copy(update={"needling": (approach, *base.needling[1:]), "depth_data": ()})
    guide = needle_guidance(deep, PatientBody(bmi=31), SHIPPED)
    assert guide.insertion_mm == (80.0, 120.0)
    assert guide.length_mm == 125


def test_a_heavier_group_with_the_same_bound_does_not_lower_or_rewrite_the_cap() -> None:
    own = study(
        "even",
        group("BMI below 25", 20, 2, bmi_max=25),  # 20 - 4 = 16
        group("BMI 25 or more", 22, 3, bmi_min=25),  # 22 - 6 = 16: the same, so nothing is lowered
    )
    target, kb = world(own, own=("even",))
    assert depth_cap(target, PatientBody(bmi=22, sex="male"), kb) == DepthCap(
        14.0, "even (skin to rib, BMI below 25: 20 ± 2 mm; mean - 2 SD = 16 mm); minus 2 mm margin = 14 mm", False,
        ("even",))  # fmt: skip


# Rhomboid major's usual depth is 5-15 mm (the knowledge base's approach); a 15 mm insertion
# takes a 25 mm needle (15 + 5 mm shaft left out, next standard length).


def test_a_cap_equal_to_the_usual_minimum_needs_no_beyond_the_safe_depth_note() -> None:
    target, kb = world(study("at_five", group("all", 11, 2)), own=("at_five",))  # 11 - 4 = 7; cap 5
    guide = needle_guidance(target, PatientBody(bmi=22, sex="female"), kb)
    assert (guide.max_safe_depth_mm, guide.insertion_mm, guide.length_mm) == (5.0, (5.0, 5.0), 13)
    assert not any(n.startswith("The usual depth of this target lies beyond") for n in guide.notes)
    assert "Stop at 5 mm: the shortest needle (13 mm) is longer than the safe depth." in guide.notes


def test_a_needle_as_long_as_the_cap_needs_no_stop_note() -> None:
    target, kb = world(study("deep", group("all", 31, 2)), own=("deep",))  # 31 - 4 = 27; cap 25
    guide = needle_guidance(target, PatientBody(bmi=22, sex="female"), kb)
    assert (guide.max_safe_depth_mm, guide.insertion_mm, guide.length_mm) == (25.0, (5.0, 15.0), 25)
    assert not any(n.startswith("Stop at") for n in guide.notes)


def test_a_fractional_cap_below_the_usual_minimum_is_the_whole_insertion() -> None:
    target, kb = world(study("frac", group("all", 10.4, 2)), own=("frac",))  # 10.4 - 4 = 6.4; cap 4.4
    guide = needle_guidance(target, PatientBody(bmi=22, sex="female"), kb)
    assert (guide.max_safe_depth_mm, guide.insertion_mm) == (4.4, (4.4, 4.4))
    assert (
        "The usual depth of this target lies beyond the safe depth for this patient: needle superficially, "
        "choose another target, or measure skin-to-rib depth with ultrasound." in guide.notes
    )
