"""The atlas is geometry clinicians rely on: sides, tiling and size are checked here."""

from itertools import combinations

import pytest
from shapely.geometry import Polygon
from shapely.ops import unary_union

from filiform.core.atlas.build import build_atlas, load_atlas
from filiform.core.concepts import Side
from filiform.errors import KnowledgeBaseError


@pytest.fixture(scope="module")
def atlas():
    return load_atlas()


def test_it_has_at_least_150_named_regions_with_both_sides(atlas):
    assert len(atlas.regions) >= 150
    for region in atlas.regions.values():
        assert region.id == f"{region.side.value}-{region.base}"
        assert region.name.lower().startswith(region.side.value)
        assert Atlas_mirror(atlas, region.id) in atlas.regions


def Atlas_mirror(atlas, rid):
    return atlas.mirror_id(rid)


@pytest.mark.parametrize("view", ["anterior", "posterior", "lateral_head", "plantar"])
def test_regions_of_a_view_do_not_overlap_and_tile_the_silhouette(atlas, view):
    polys = {r.id: Polygon(r.polygon) for r in atlas.in_view(view)}
    assert all(p.is_valid and p.area > 0 for p in polys.values())
    for (a, pa), (b, pb) in combinations(polys.items(), 2):
        assert pa.intersection(pb).area < 1e-6, f"{a} overlaps {b}"
    silhouette = unary_union([Polygon(o) for o in atlas.views[view].outline])
    union = unary_union(list(polys.values()))
    assert union.symmetric_difference(silhouette).area < 1e-3


@pytest.mark.parametrize(
    "region_id, view, viewer_side",
    [
        ("right-eyebrow", "anterior", "left"),
        ("right-lateral-epicondyle", "anterior", "left"),
        ("left-patella", "anterior", "right"),
        ("right-infraspinous-fossa", "posterior", "right"),
        ("left-achilles", "posterior", "left"),
        ("right-temple", "lateral_head", "right"),
        ("right-plantar-heel", "plantar", "right"),
    ],
)
def test_patient_sides_land_where_clinicians_chart_them(atlas, region_id, view, viewer_side):
    """Patient's right is on the viewer's left from the front, on the right from behind."""
    region = atlas.region(region_id)
    assert region.view == view
    x, _ = region.centroid
    centre = atlas.views[view].width / 2
    assert (x < centre) == (viewer_side == "left")


def test_mirrored_regions_are_exact_reflections(atlas):
    for region in atlas.regions.values():
        if region.side is not Side.RIGHT:
            continue
        other = atlas.region(atlas.mirror_id(region.id))
        width = atlas.views[region.view].width
        reflected = sorted((round(width - x, 3), y) for x, y in region.polygon)
        assert reflected == sorted(other.polygon)


def test_resolve_turns_kb_references_into_sided_ids(atlas):
    assert atlas.resolve("temple", Side.LEFT) == "left-temple"
    assert atlas.resolve("contralateral:temple", Side.LEFT) == "right-temple"


def test_a_row_with_the_wrong_number_of_rows_is_rejected():
    spec = {
        "views": {
            "v": {
                "title": "t",
                "size": [100, 100],
                "placement": "right_on_viewer_right",
                "segments": {"s": {"cuts": [[0, 0, 10, 0], [0, 10, 10, 10]], "rows": [["a"], ["b"]]}},
            }
        }
    }
    with pytest.raises(KnowledgeBaseError, match="need 1 rows"):
        build_atlas(spec)


def test_the_same_region_in_two_views_is_rejected():
    seg = {"cuts": [[0, 0, 10, 0], [0, 10, 10, 10]], "rows": [["a"]]}
    view = {"title": "t", "size": [100, 100], "placement": "right_on_viewer_right", "segments": {"s": seg}}
    with pytest.raises(KnowledgeBaseError, match="appears in views"):
        build_atlas({"views": {"v1": view, "v2": view}})
