"""The depth cap's written basis, pinned word for word: the clinician reads where the number
came from.  Figures checked by hand against the published groups (Seol 2014 skin to rib
21 +/- 4 mm below BMI 23, 24 +/- 9 mm from 23 to below 25, 27 +/- 5 mm from 25; Wada 2025
men 27 +/- 4 mm): mean - 2 SD, then the 2 mm margin."""

from __future__ import annotations

import pytest

from filiform.core.kb.loader import load_kb
from filiform.core.safety.depth import DepthCap, depth_cap
from filiform.core.safety.intake import PatientBody

KB = load_kb()
SEOL = "armrehab2014_rhomboid_skin_to_rib"
HEAVY = f"{SEOL} (skin to rib, BMI 25 or more: 27 ± 5 mm; mean - 2 SD = 17 mm)"
MIDDLE = f"{SEOL} (skin to rib, BMI 23 to below 25: 24 ± 9 mm; mean - 2 SD = 6 mm)"
LIGHT = f"{SEOL} (skin to rib, BMI below 23: 21 ± 4 mm; mean - 2 SD = 13 mm)"
WADA = "wada2025_interscapular_rib5 (skin to rib, healthy men aged 22 to 63: 27 ± 4 mm; mean - 2 SD = 19 mm)"
OWN_NONE = "no group of this target's own studies fits; most conservative fitting study: "
LOWERED = "; lowered to the cap for BMI 23 (a cap never rises as BMI falls): "


@pytest.mark.parametrize(
    ("target", "body", "expected"),
    [
        (
            "rhomboid_major",
            PatientBody(bmi=25, sex="female"),
            DepthCap(15.0, f"{HEAVY}; minus 2 mm margin = 15 mm", False, (SEOL,)),
        ),
        (
            "rhomboid_major",
            PatientBody(bmi=23, sex="female"),
            DepthCap(4.0, f"{MIDDLE}; minus 2 mm margin = 4 mm", False, (SEOL,)),
        ),
        (
            "rhomboid_major",
            PatientBody(bmi=22.99, sex="female"),
            DepthCap(4.0, f"{LIGHT}{LOWERED}{MIDDLE}; minus 2 mm margin = 4 mm", False, (SEOL,)),
        ),
        (
            "rhomboid_major",
            PatientBody(sex="male"),
            DepthCap(17.0, f"{OWN_NONE}{WADA}; minus 2 mm margin = 17 mm", True, ("wada2025_interscapular_rib5",)),
        ),
        (
            "rhomboid_major",
            PatientBody(),
            DepthCap(
                4.0,
                f"BMI or sex unknown; smallest lower bound of any study: {MIDDLE}; minus 2 mm margin = 4 mm",
                True,
                (SEOL,),
            ),
        ),
        (
            "pectoralis_major",
            PatientBody(bmi=30, sex="male"),
            DepthCap(15.0, f"{OWN_NONE}{HEAVY}; minus 2 mm margin = 15 mm", True, (SEOL,)),
        ),
    ],
    ids=["bmi25", "bmi23", "bmi22.99-lowered", "male-no-bmi", "nothing-known", "no-own-study"],
)
def test_cap_and_basis(target: str, body: PatientBody, expected: DepthCap) -> None:
    assert depth_cap(KB.targets[target], body, KB) == expected
