import pytest

from filiform.core.atlas.build import load_atlas
from filiform.core.atlas.lookup import resolve_region_name
from filiform.core.atlas.svg import render_sheet, render_svg
from filiform.errors import ValidationFailed


@pytest.mark.parametrize(
    "text", ["right-temple-middle", "Right temple (middle)", "  right   TEMPLE middle ", "right_temple_middle"]
)
def test_names_resolve_to_ids(text):
    assert resolve_region_name(text, load_atlas()) == "right-temple-middle"


def test_a_midline_name_resolves():
    assert resolve_region_name("Vertex (crown of the head) (midline)", load_atlas()) == "midline-vertex"
    assert resolve_region_name("midline-vertex", load_atlas()) == "midline-vertex"


def test_an_unknown_name_lists_the_nearest():
    with pytest.raises(ValidationFailed) as exc:
        resolve_region_name("right-temple-midle", load_atlas())
    assert "right-temple-middle" in exc.value.details[0]


def test_svg_has_one_path_per_cell_with_its_region():
    atlas = load_atlas()
    svg = render_svg(atlas, fills={"right-temple-middle": "#ff0000"})
    assert svg.count('class="region"') == len(atlas.cells)
    assert (
        svg.count('data-region="right-temple-middle" data-name="Right temple (middle)" fill="#ff0000"') == 2
    )  # head side, and the head on the side figure


def test_an_interactive_sheet_names_every_cell():
    atlas = load_atlas()
    svg = render_sheet(atlas, "hands")
    cells = svg.count('class="region"')
    assert cells == len(atlas.in_view("hand_palmar")) + len(atlas.in_view("hand_dorsal"))
    assert svg.count('role="button" aria-label="') == cells
