"""Atlas 1 -> atlas 2: the mapping data, the drawing conversion and the file converter."""

import pytest
import yaml

from filiform.core.atlas.build import load_atlas
from filiform.core.atlas.v1 import convert_drawing, convert_ref, convert_region_id, is_v1_id, v1_map
from filiform.core.atlas.v1_kb import convert_target_text
from filiform.errors import ValidationFailed


def test_every_atlas1_base_maps_onto_existing_atlas2_regions_of_the_right_kind():
    atlas = load_atlas()
    mapping = v1_map()
    assert len(mapping) == 160
    for old, parts in mapping.items():
        assert parts, old
        for part in parts:
            base = part.removeprefix("midline:")
            assert base in atlas.bases, f"{old} -> {part}"
            assert (base in atlas.midline) == part.startswith("midline:"), f"{old} -> {part}"


@pytest.mark.parametrize(
    "old, new",
    [
        ("right-temple", {"right-temple-anterior", "right-temple-middle", "right-temple-posterior"}),
        ("left-sternum-upper", {"midline-manubrium", "midline-sternum"}),
        ("right-palmar-thumb-index", {"right-palm-distal-index", "right-palmar-thumb-proximal",
                                      "right-palmar-thumb-distal", "right-palmar-index-proximal",
                                      "right-palmar-index-distal"}),
        ("left-lateral-elbow-posterior", {"left-lateral-epicondyle"}),
        ("right-vertex", {"midline-vertex"}),
        ("left-iliac-crest", {"left-iliac-crest-posterior", "left-iliac-crest-lateral"}),
    ],
)  # fmt: skip
def test_old_ids_become_the_parts_covering_the_same_skin(old, new):
    assert set(convert_region_id(old)) == new
    assert all(rid in load_atlas().regions for rid in new)


def test_an_id_that_was_never_in_atlas_1_is_an_error():
    assert is_v1_id("right-temple") and not is_v1_id("right-temple-middle")
    with pytest.raises(ValidationFailed):
        convert_region_id("right-temple-middle")
    with pytest.raises(ValidationFailed):
        convert_region_id("midline-vertex")


def test_a_drawing_keeps_every_painted_area_and_the_higher_intensity_where_parts_are_shared():
    old = [
        {"region": "right-anteromedial-arm", "intensity": 3},
        {"region": "right-anterolateral-arm", "intensity": 7},
        {"region": "left-vertex", "intensity": 2},
        {"region": "right-vertex", "intensity": 5},
    ]
    new = {d["region"]: d["intensity"] for d in convert_drawing(old)}
    assert new["right-biceps-middle"] == 7  # in both old regions: the higher
    assert new["right-medial-arm-upper"] == 3
    assert new["right-lateral-arm-lower"] == 7
    assert new["midline-vertex"] == 5
    assert len(new) == 9 + 1


def test_references_keep_their_side_and_midline_parts_lose_the_prefix():
    assert convert_ref("contralateral:temple") == (
        "contralateral:temple-anterior",
        "contralateral:temple-middle",
        "contralateral:temple-posterior",
    )
    assert convert_ref("contralateral:sacral") == ("sacrum",)


OLD_FILE = """\
id: demo_muscle
kind: muscle
regions: [infraspinous-fossa]   # where it lies
danger:
  - structure: lung
    rule: 'Keep the needle over bone: temple, not lung.'
trigger_points:
- id: demo_tp
  referral:
    essential: [temple, upper-teeth]
    spillover:
      - eyebrow
      - temple
  citations: [x]
notes: "regions: [temple] is text here"
"""


def test_the_file_converter_rewrites_only_region_values_and_is_idempotent():
    first = convert_target_text(OLD_FILE)
    assert first.changed
    data = yaml.safe_load(first.text)
    assert data["regions"] == ["infraspinous-medial-upper", "infraspinous-lateral-upper"]
    assert data["trigger_points"][0]["referral"]["essential"] == [
        "temple-anterior", "temple-middle", "temple-posterior", "upper-teeth-front", "upper-teeth-back",
    ]  # fmt: skip
    assert data["trigger_points"][0]["referral"]["spillover"] == ["eyebrow-medial", "eyebrow-lateral"]
    untouched = [line for line in OLD_FILE.splitlines() if "temple" not in line and "regions" not in line]
    untouched = [ln for ln in untouched if not any(w in ln for w in ("eyebrow", "essential", "spillover"))]
    assert all(line in first.text.splitlines() for line in untouched)
    assert "rule: 'Keep the needle over bone: temple, not lung.'" in first.text
    assert 'notes: "regions: [temple] is text here"' in first.text
    assert "# where it lies" in first.text
    second = convert_target_text(first.text)
    assert not second.changed and second.text == first.text


def test_a_file_keyed_by_old_ids_is_regenerated_for_atlas_2():
    from filiform.core.atlas.v1 import regenerate_region_map

    old = {"right-temple": "face", "left-temple": "face", "right-vertex": "scalp", "left-vertex": "scalp"}
    ids = ["right-temple-middle", "left-temple-anterior", "midline-vertex", "right-supra-x"]
    adjacency = {"right-supra-x": ["right-temple-middle", "midline-vertex", "right-temple-anterior"]}
    out = regenerate_region_map(old, ids, adjacency)
    assert out == {
        "left-temple-anterior": "face",
        "midline-vertex": "scalp",
        "right-supra-x": "face",  # no old region covers it: the value most neighbours have
        "right-temple-middle": "face",
    }
    with pytest.raises(ValidationFailed):
        regenerate_region_map(old, [*ids, "right-island"], adjacency)


def test_the_shipped_site_map_covers_every_atlas_2_region():
    from filiform.core.safety.sites import atlas_site_map

    assert set(atlas_site_map()) == set(load_atlas().regions)
    assert atlas_site_map()["right-temple-middle"] == atlas_site_map()["right-temple-anterior"]
