"""The atlas is geometry clinicians rely on: sides, tiling, mirroring and size are checked here."""

from collections import defaultdict

import pytest
from shapely.geometry import Polygon
from shapely.ops import unary_union
from shapely.strtree import STRtree

from filiform.core.atlas.build import build_atlas, load_atlas
from filiform.core.atlas.model import MIDLINE
from filiform.core.concepts import Side
from filiform.errors import KnowledgeBaseError


@pytest.fixture(scope="module")
def atlas():
    return load_atlas()


def test_it_has_at_least_600_named_regions_with_both_sides(atlas):
    assert len(atlas.regions) >= 600
    for region in atlas.regions.values():
        assert region.id == f"{region.side_label}-{region.base}"
        if region.side is None:
            assert region.name.endswith("(midline)")
        else:
            assert region.name.lower().startswith(region.side.value)
        assert atlas.mirror_id(region.id) in atlas.regions


@pytest.mark.parametrize(
    "base",
    [
        "palmar-thumb-distal", "palmar-index-distal", "palmar-middle-distal", "palmar-ring-distal",
        "palmar-little-distal", "dorsal-thumb-distal", "dorsal-little-proximal", "dorsal-big-toe",
        "dorsal-toe-2", "dorsal-toe-3", "dorsal-toe-4", "dorsal-toe-5", "plantar-big-toe", "plantar-toe-5",
        "lateral-leg-upper", "lateral-leg-mid", "lateral-leg-lower", "lateral-midfoot", "iliac-crest-posterior",
        "vertex", "temple-anterior", "upper-teeth-front", "lower-teeth-back", "eyebrow-lateral", "jaw-angle",
    ],
)  # fmt: skip
def test_the_regions_the_issue_names_exist(atlas, base):
    assert base in atlas.bases


def test_midline_anatomy_is_one_region_across_the_midline(atlas):
    for base in ("vertex", "nose", "chin", "sternum", "umbilicus", "sacrum", "lumbar-spine-lower"):
        assert f"{MIDLINE}-{base}" in atlas.regions
        assert f"right-{base}" not in atlas.regions
    centre = atlas.views["anterior"].width / 2
    cells = [c for c in atlas.cells if c.region == "midline-sternum" and c.view == "anterior"]
    assert len(cells) == 1
    xs = [x for x, _ in cells[0].polygon]
    assert min(xs) < centre < max(xs)


def test_every_view_is_tiled_by_its_cells_without_overlap(atlas):
    for view in atlas.views:
        polys = [Polygon(c.polygon) for c in atlas.in_view(view)]
        assert all(p.is_valid and p.area > 0 for p in polys), view
        tree = STRtree(polys)
        for i, p in enumerate(polys):
            for j in tree.query(p):
                if j > i:
                    assert p.intersection(polys[j]).area < 0.05, f"{view}: cells {i} and {j} overlap"
        silhouette = unary_union([Polygon(o) for o in atlas.views[view].outline])
        union = unary_union(polys)
        assert union.symmetric_difference(silhouette).area < 0.05 * len(polys), view


def test_a_region_is_one_connected_patch_in_each_view(atlas):
    pieces = defaultdict(list)
    for cell in atlas.cells:
        pieces[(cell.region, cell.view)].append(Polygon(cell.polygon).buffer(0.01))
    for (rid, view), polys in pieces.items():
        allowed = 2 if rid.startswith(MIDLINE) and atlas.views[view].gap > 0 else 1
        shape = unary_union(polys)
        assert len(getattr(shape, "geoms", [shape])) <= allowed, f"{rid} falls apart in {view}"


@pytest.mark.parametrize(
    "region_id, view, viewer_side",
    [
        ("right-eyebrow-lateral", "head_front", "left"),
        ("right-lateral-epicondyle", "anterior", "left"),
        ("left-patella", "anterior", "right"),
        ("right-infraspinous-medial-upper", "posterior", "right"),
        ("left-achilles", "posterior", "left"),
        ("right-temple-middle", "head_side", "right"),
        ("right-plantar-heel", "foot_plantar", "right"),
        ("right-lateral-leg-mid", "lateral", "right"),
        ("right-palmar-thumb-distal", "hand_palmar", "left"),
        ("right-dorsal-thumb-distal", "hand_dorsal", "right"),
        ("right-dorsal-big-toe", "foot_dorsal", "left"),
    ],
)
def test_patient_sides_land_where_clinicians_chart_them(atlas, region_id, view, viewer_side):
    """Patient's right is on the viewer's left from the front, on the right from behind."""
    cells = [c for c in atlas.cells if c.region == region_id and c.view == view]
    assert cells, f"{region_id} is not drawn in {view}"
    centre = atlas.views[view].width / 2
    for cell in cells:
        x = Polygon(cell.polygon).centroid.x
        assert (x < centre) == (viewer_side == "left")


def test_the_thumb_is_lateral_on_the_figure_and_medial_when_the_fingers_point_up(atlas):
    def x_of(region, view):
        return next(Polygon(c.polygon).centroid.x for c in atlas.cells if c.region == region and c.view == view)

    # anterior figure, anatomical position: right thumb further from the midline than the little finger
    centre = atlas.views["anterior"].width / 2
    thumb, little = x_of("right-palmar-thumb-distal", "anterior"), x_of("right-palmar-little-distal", "anterior")
    assert abs(thumb - centre) > abs(little - centre)
    # hands view, fingers up: the thumbs point toward the middle
    centre = atlas.views["hand_palmar"].width / 2
    thumb, little = x_of("right-palmar-thumb-distal", "hand_palmar"), x_of("right-palmar-little-distal", "hand_palmar")
    assert abs(thumb - centre) < abs(little - centre)


def test_mirrored_cells_are_exact_reflections(atlas):
    by_key = defaultdict(list)
    for cell in atlas.cells:
        by_key[(cell.view, cell.region)].append(cell.polygon)
    for (view, rid), polys in by_key.items():
        if not rid.startswith("right-"):
            continue
        width = atlas.views[view].width
        mirrored = by_key[(view, atlas.mirror_id(rid))]
        reflected = sorted(sorted((round(width - x, 3), y) for x, y in p) for p in polys)
        assert reflected == sorted(sorted(p) for p in mirrored), f"{rid} in {view}"


def test_embedded_views_are_the_same_partition(atlas):
    """The face on the figure has exactly the regions of the face view."""
    front = {c.region for c in atlas.in_view("head_front")}
    on_figure = {c.region for c in atlas.in_view("anterior")}
    assert front <= on_figure


def test_adjacency_joins_front_and_back_through_the_side_view(atlas):
    assert "right-anterolateral-leg-middle" in atlas.adjacency["right-lateral-leg-mid"]
    assert "right-lateral-calf-middle" in atlas.adjacency["right-lateral-leg-mid"]
    assert "left-forehead-medial" in atlas.adjacency["right-forehead-medial"]
    for rid, near in atlas.adjacency.items():
        assert rid not in near
        assert all(rid in atlas.adjacency[n] for n in near)


def test_resolve_turns_kb_references_into_sided_ids(atlas):
    assert atlas.resolve("temple-middle", Side.LEFT) == "left-temple-middle"
    assert atlas.resolve("contralateral:temple-middle", Side.LEFT) == "right-temple-middle"
    assert atlas.resolve("vertex", Side.LEFT) == "midline-vertex"
    assert atlas.resolve("contralateral:vertex", Side.RIGHT) == "midline-vertex"


def _spec(rows, cuts=None, outline=None):
    part = {"outline": outline or {"poly": [[0, 0], [100, 0], [100, 100], [0, 100]]}, "rows": rows}
    part["cuts"] = cuts or [[-1, 0, 101, 0], [-1, 100, 101, 100]]
    return {"views": {"v": {"title": "t", "size": [100, 100], "placement": "right_on_viewer_right", "gap": 5,
                             "parts": [part]}}}  # fmt: skip


def test_a_part_with_the_wrong_number_of_rows_is_rejected():
    with pytest.raises(KnowledgeBaseError, match="need 1 rows"):
        build_atlas(_spec([["a"], ["b"]]))


def test_cuts_that_leave_part_of_the_outline_uncovered_are_rejected():
    with pytest.raises(KnowledgeBaseError, match="uncovered"):
        build_atlas(_spec([["a"]], cuts=[[-1, 0, 101, 0], [-1, 50, 101, 50]]))


def test_a_region_that_falls_apart_is_rejected():
    cuts = [[-1, 0, 101, 0], [-1, 40, 101, 40], [-1, 60, 101, 60], [-1, 100, 101, 100]]
    with pytest.raises(KnowledgeBaseError, match="falls apart"):
        build_atlas(_spec([["a"], ["b"], ["a"]], cuts=cuts))


def test_labels_for_unknown_regions_are_rejected():
    spec = _spec([["a"]])
    spec["labels"] = {"zz": "nothing"}
    with pytest.raises(KnowledgeBaseError, match="labels lists unknown"):
        build_atlas(spec)
