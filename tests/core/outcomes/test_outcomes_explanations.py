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
