import pytest

from filiform.core.atlas.build import load_atlas
from filiform.core.atlas.lookup import resolve_region_name
from filiform.core.atlas.svg import render_svg
from filiform.errors import ValidationFailed


@pytest.mark.parametrize("text", ["right-temple", "Right temple", "  right   TEMPLE ", "right_temple"])
def test_names_resolve_to_ids(text):
    assert resolve_region_name(text, load_atlas()) == "right-temple"


def test_an_unknown_name_lists_the_nearest(capsys):
    with pytest.raises(ValidationFailed) as exc:
        resolve_region_name("right-tempel", load_atlas())
    assert "right-temple" in exc.value.details[0]


def test_svg_has_one_path_per_region_with_its_id():
    atlas = load_atlas()
    svg = render_svg(atlas, fills={"right-temple": "#ff0000"})
    assert svg.count('class="region"') == len(atlas.regions)
    assert 'id="right-temple" class="region" data-name="Right temple" fill="#ff0000"' in svg
