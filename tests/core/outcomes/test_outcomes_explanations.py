"""The written explanation of a change, word for word: it is what the clinician reads.

Every figure is worked out by hand from the instrument's published scoring and the MCID/MDC
sources held in the registry (Vernon's note on the NDI: MCID 10 percentage points, MDC 10;
Ostelo 2008: RMDQ 5 points and 30 %; Binkley 1999: LEFS MCID and MDC 9 points; Farrar 2001:
NPRS 2 points and 30 %; Kropmans 2000: mouth opening MDC 9 mm; Mostafaee 2021: KOOS pain 15).
"""

from __future__ import annotations

import pytest

from filiform.core.outcomes import interpret_change
from filiform.core.outcomes.interpret import shown
from filiform.errors import ValidationFailed

NO_MCID = "No MCID is established for this scale, so no responder call is made."


@pytest.mark.parametrize(
    ("instrument", "baseline", "current", "kwargs", "expected"),
    [
        # NDI is a percentage, lower is better: 40 -> 24 is 16 percentage points better (>= 10);
        # |change| 16 >= MDC 10, so no measurement-error sentence; no percent threshold held.
        ("ndi", 40, 24, {}, "NDI fell from 40 % to 24 % (16 percentage points better). "
         "The MCID of 10 (Vernon, author's note) was reached: improved."),
        # RMDQ manual example: 12 -> 2, 10 points; 10 / 12 = 83.33 % of the room to improve.
        ("rmdq", 12, 2, {}, "RMDQ fell from 12 to 2 (10 points better). The MCID of 5 (Ostelo 2008) "
         "was reached: improved. Relative improvement 83.33 % (30 % threshold reached)."),
        # LEFS, higher is better: 40 -> 45 is 5 points, under the MCID 9 and the MDC 9.
        ("lefs", 40, 45, {}, "LEFS rose from 40 to 45 (5 points better). The MCID of 9 (Binkley 1999) "
         "was not reached: unchanged. The change is within the measurement error (MDC 9)."),
        # LEFS 49 -> 40: 9 points worse, exactly the MCID and the MDC.
        ("lefs", 49, 40, {}, "LEFS fell from 49 to 40 (9 points worse). The MCID of 9 (Binkley 1999) "
         "was not reached: worsened."),
        # NPRS 3 -> 6: 3 points worse; relative: -3 of a room of 3 = -100 %.
        ("nprs", 3, 6, {}, "NPRS rose from 3 to 6 (3 points worse). The MCID of 2 (Farrar 2001) "
         "was not reached: worsened. Relative improvement -100 % (30 % threshold not reached)."),
        # NPRS 2 -> 1: 50 % but only 1 point.
        ("nprs", 2, 1, {}, "NPRS fell from 2 to 1 (1 points better). The MCID of 2 (Farrar 2001) "
         "was not reached: unchanged. Relative improvement 50 % (30 % threshold reached)."),
        ("nprs", 4, 4, {}, "NPRS stayed at 4 (0 points better). The MCID of 2 (Farrar 2001) "
         "was not reached: unchanged. Relative improvement 0 % (30 % threshold not reached)."),
        # A clinic's own MCID of 20 for KOOS pain: 50 -> 66 is 16, not enough.
        ("koos", 50, 66, {"scale": "pain", "mcid": 20}, "KOOS pain rose from 50 to 66 (16 points better). "
         "The MCID of 20 (set by the clinic) was not reached: unchanged."),
        ("koos", 50, 66, {"scale": "pain"}, "KOOS pain rose from 50 to 66 (16 points better). "
         "The MCID of 15 (Mostafaee 2021) was reached: improved."),
        # JFLS-8 is a mean item score (no unit written), with no MCID.
        ("jfls_8", 4, 2, {}, f"JFLS-8 fell from 4 to 2 (2 points better). {NO_MCID}"),
        # Mouth opening in mm: the unit is written; 5 mm is within the MDC of 9 mm.
        ("mouth_opening", 30, 35, {}, f"MMO rose from 30 mm to 35 mm (5 points better). {NO_MCID} "
         "The change is within the measurement error (MDC 9)."),
        ("mouth_opening", 30, 30, {}, f"MMO stayed at 30 mm (0 points better). {NO_MCID} "
         "The change is within the measurement error (MDC 9)."),
        ("mouth_opening", 30, 40, {}, f"MMO rose from 30 mm to 40 mm (10 points better). {NO_MCID}"),
    ],
    ids=["ndi", "rmdq", "lefs-within-error", "lefs-worse", "nprs-worse", "nprs-percent-only", "nprs-stayed",
         "koos-clinic-mcid", "koos-published-mcid", "jfls-no-mcid", "mmo-within-error", "mmo-stayed",
         "mmo-beyond-error"],
)  # fmt: skip
def test_explanation(instrument: str, baseline: float, current: float, kwargs: dict[str, object],
                     expected: str) -> None:  # fmt: skip
    assert interpret_change(instrument, baseline, current, **kwargs).explanation == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "text"), [(83.3333, "83.33"), (26.0, "26"), (1.04, "1.04"), (0.005, "0.01"), (-2.5, "-2.5"), (0, "0")]
)
def test_scores_are_shown_with_at_most_two_decimals(value: float, text: str) -> None:
    assert shown(value) == text


def test_a_one_point_rise_is_a_rise() -> None:
    assert interpret_change("nprs", 3, 4).explanation.startswith("NPRS rose from 3 to 4 (1 points worse).")


@pytest.mark.parametrize(
    ("args", "message", "details"),
    [
        (("ndi", 120, 20), "NDI total baseline 120 is outside the range 0-100", []),
        (("ndi", 40, 120), "NDI total score 120 is outside the range 0-100", []),
        (("nprs", -1, 3), "NPRS total baseline -1 is outside the range 0-10", []),
        (("koos", 50, 60), "KOOS has no scale 'total'", ["scales: symptoms, pain, adl, sport, qol"]),
    ],
)
def test_values_outside_the_scale_are_refused_naming_which(
    args: tuple[str, float, float], message: str, details: list[str]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        interpret_change(*args)
    assert (refused.value.message, refused.value.details) == (message, details)


def test_the_ends_of_the_range_are_valid_values() -> None:
    assert interpret_change("nprs", 10, 0).improvement == 10
    assert interpret_change("nprs", 0, 10).improvement == -10


def test_percent_improvement_for_higher_is_better_uses_the_room_to_the_top() -> None:
    """LEFS (0-80, higher is better) 20 -> 60: 40 of the 60 points of room = 66.67 %."""
    assert interpret_change("lefs", 20, 60).percent_improvement == 66.67


def test_no_room_to_improve_gives_no_percentage() -> None:
    """NPRS 0 is already the best: a change from there has no relative improvement."""
    change = interpret_change("nprs", 0, 3)
    assert change.percent_improvement is None and change.percent_mcid_reached is None
    assert change.classification.value == "worsened"


def test_exactly_the_thresholds_count_as_reached() -> None:
    ndi = interpret_change("ndi", 40, 30)  # 10 percentage points = Vernon's MCID, = MDC 10
    assert (ndi.mcid_reached, ndi.classification.value, ndi.beyond_mdc) == (True, "improved", True)
    nprs = interpret_change("nprs", 10, 7)  # 3 of 10 = 30 % = Farrar's percent threshold
    assert (nprs.percent_improvement, nprs.percent_mcid, nprs.percent_mcid_reached) == (30, 30, True)
    worse = interpret_change("nprs", 4, 6)  # 2 points worse = the MCID
    assert worse.classification.value == "worsened"


def test_fractional_scores_keep_four_decimals() -> None:
    """JFLS-8 mean item scores: 4.25 -> 2.5 is -1.75; 3.33333 -> 1 is -2.33333, kept as -2.3333."""
    assert (interpret_change("jfls_8", 4.25, 2.5).change, interpret_change("jfls_8", 4.25, 2.5).improvement) == (
        -1.75, 1.75)  # fmt: skip
    third = interpret_change("jfls_8", 3.33333, 1)
    assert (third.change, third.improvement) == (-2.3333, 2.3333)
    assert interpret_change("rmdq", 12, 2).percent_improvement == 83.33  # 10 / 12


def test_a_clinic_mcid_below_one_is_accepted() -> None:
    change = interpret_change("nprs", 3, 2.5, mcid=0.5)
    assert (change.mcid, change.mcid_citation, change.classification.value) == (0.5, "clinic", "improved")
