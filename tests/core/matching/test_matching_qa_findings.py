"""QA: the drawing parser and engine never guess or silently drop input."""

from __future__ import annotations

import pytest

from filiform.core.atlas.build import load_atlas
from filiform.core.matching import match
from filiform.core.matching.parse import drawing_from_data, drawing_from_names
from filiform.core.planning.plan import condition_priors
from filiform.errors import NotFound, ValidationFailed


def test_findings_for_one_muscle_and_side_given_twice_are_refused() -> None:
    drawing = drawing_from_data(
        {
            "regions": [{"region": "right-temple-middle", "intensity": 7}],
            "findings": [
                {"muscle": "temporalis", "side": "right", "taut_band": True},
                {"muscle": "temporalis", "side": "right"},
            ],
        },
        load_atlas(),
    )
    with pytest.raises(ValidationFailed, match="given twice"):
        match(drawing)


@pytest.mark.parametrize(
    "text",
    ["right-temple-middle=", "right-temple-middle=\u00b2", "right-temple-middle=\u0667", "right-temple-middle=7.0"],
)
def test_an_intensity_must_be_ascii_digits(text: str) -> None:
    with pytest.raises(ValidationFailed, match="whole number"):
        drawing_from_names([text], load_atlas())


def test_a_spaced_intensity_is_still_read() -> None:
    assert drawing_from_names(["right-temple-middle= 7"], load_atlas()).regions[0].intensity == 7


def test_condition_priors_favour_typical_muscles_and_refuse_unknown_ids() -> None:
    priors = condition_priors("lateral_elbow_tendinopathy")
    assert priors and all(v > 1 for v in priors.values())
    with pytest.raises(NotFound):
        condition_priors("tenis_elbow")
