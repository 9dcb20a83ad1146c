"""Pain drawings as typed or uploaded: region names with an optional intensity, JSON/YAML
text, and clear refusals for what is not a drawing."""

from __future__ import annotations

import pytest

from filiform.core.atlas.build import load_atlas
from filiform.core.matching.parse import drawing_from_data, drawing_from_names, drawing_from_text
from filiform.errors import ValidationFailed

ATLAS = load_atlas()


def test_names_with_and_without_an_intensity() -> None:
    drawing = drawing_from_names(["right-temple-middle=8", "right-upper-teeth-front"], ATLAS, intensity=5)
    assert [(r.region, r.intensity) for r in drawing.regions] == [
        ("right-temple-middle", 8), ("right-upper-teeth-front", 5)]  # fmt: skip


@pytest.mark.parametrize(
    ("names", "message"),
    [([], "the pain drawing is empty: name at least one region"),
     (["right-temple-middle=high"], "intensity for 'right-temple-middle' must be a whole number 0-10, got 'high'"),
     (["right-temple-middle=7.5"], "must be a whole number 0-10, got '7.5'")],
)  # fmt: skip
def test_bad_names_are_refused(names: list[str], message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        drawing_from_names(names, ATLAS)


def test_a_drawing_must_be_a_mapping_of_regions() -> None:
    with pytest.raises(ValidationFailed, match="a pain drawing is a mapping with a 'regions' list"):
        drawing_from_data(["right-temple-middle"], ATLAS)
    text = "regions:\n  - {region: right-temple-middle, intensity: 4}\n"
    assert [r.intensity for r in drawing_from_text(text, ATLAS).regions] == [4]
    with pytest.raises(ValidationFailed, match="cannot parse the drawing as JSON or YAML"):
        drawing_from_text("regions: [unclosed", ATLAS)
