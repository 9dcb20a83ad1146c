"""Anatomical sites, the target and atlas maps, circuits and their paths, duplicate YAML keys."""

from __future__ import annotations

from datetime import date

import pytest

from filiform.core.atlas.build import load_atlas
from filiform.core.concepts.side import Side
from filiform.core.concepts.site import SiteRef, parse_site, site_label, vocabulary
from filiform.core.kb.loader import load_kb
from filiform.core.kb.yaml_source import YamlSyntaxError, parse
from filiform.core.safety.checks import check_safety_data
from filiform.core.safety.circuits import CircuitPath, path_kinds
from filiform.core.safety.intake import CLEAR_ANSWERS, Intake
from filiform.core.safety.rules import load_rules
from filiform.core.safety.screening import evaluate
from filiform.core.safety.sites import planned_sites, region_site, target_site_map
from filiform.errors import ValidationFailed

KB = load_kb()
DAY = date(2026, 3, 2)


def test_parse_by_id_or_name_and_labels_in_plain_words() -> None:
    assert parse_site("Left:Knee_Joint") == SiteRef("knee_joint", Side.LEFT)
    assert parse_site("left:knee").text == "left:knee_joint"
    assert parse_site("right:arm").text == "right:upper_limb"
    assert site_label(parse_site("spine_l4")) == "L4 level"
    assert site_label(parse_site("knee_joint")) == "knee (either side)"
    for bad in ("left:wing", "up:knee_joint", "left:spine_l4"):
        with pytest.raises(ValidationFailed):
            parse_site(bad)


def test_vocabulary_has_the_sites_the_dangers_need() -> None:
    specs = vocabulary().specs
    for joint in ("shoulder_joint", "elbow_joint", "wrist_joint", "hip_joint", "knee_joint", "ankle_joint"):
        assert specs[joint].sided and "joint" in vocabulary().tags(joint)
    for level in ("spine_c5", "spine_t6", "spine_l4", "sacrum"):
        assert "spine" in vocabulary().tags(level)
    prohibited = {s for s in specs if "prohibited" in vocabulary().tags(s)}
    assert prohibited == {"orbit", "nipple", "umbilicus", "genitalia", "fontanelle"}
    for region in ("chest_wall_anterior", "abdomen", "pelvis", "head", "face", "neck_anterior", "neck_posterior"):
        assert region in specs


def test_overlap_follows_nesting_and_sides() -> None:
    v = vocabulary()
    assert v.overlaps(parse_site("left:lower_limb"), parse_site("left:knee_joint"))
    assert v.overlaps(parse_site("spine_l4"), parse_site("left:low_back"))  # midline level within the low back
    assert not v.overlaps(parse_site("right:lower_limb"), parse_site("left:knee_joint"))
    assert v.overlaps(parse_site("knee_joint"), parse_site("right:knee_joint"))  # either side
    assert v.near(parse_site("left:knee_joint"), parse_site("left:thigh"))
    assert not v.near(parse_site("left:knee_joint"), parse_site("left:foot"))


def test_every_target_and_every_atlas_region_has_a_site() -> None:
    assert set(target_site_map()) == set(KB.targets)
    assert check_safety_data(KB, load_rules()) == []
    for region in load_atlas().regions:
        ref = region_site(region)
        assert ref.site in vocabulary().specs
    assert region_site("right-lateral-epicondyle") == SiteRef("elbow_joint", Side.RIGHT)
    assert region_site("left-orbit") == SiteRef("orbit", Side.LEFT)


def test_knee_and_lateral_elbow_targets_sit_at_their_joint() -> None:
    knee = planned_sites(KB, [("knee_periarticular_medial", "left")])[0]
    elbow = planned_sites(KB, [("common_extensor_origin", "right")])[0]
    assert knee.sites == ("left:knee_joint",) and elbow.sites == ("right:elbow_joint",)
    assert knee.label == "Medial knee periarticular and periosteal sites, left"


def test_duplicate_yaml_keys_are_refused() -> None:
    with pytest.raises(YamlSyntaxError, match="duplicate key 'b'"):
        parse("a: 1\nlist:\n  - {b: 1, b: 2}\n", "x.yaml")
    parse("a: 1\nb: {c: 1}\nc: 2\n", "x.yaml")  # same key in different mappings is fine


@pytest.mark.parametrize(
    ("a", "b", "kinds"),
    [
        ("left:forearm", "right:forearm", {"across_chest"}),
        ("left:chest_wall_anterior", "left:upper_back", {"across_chest"}),
        ("left:neck_anterior", "left:neck_posterior", {"anterior_neck", "head_or_neck"}),
        ("left:neck_posterior", "right:neck_posterior", {"across_spinal_cord", "across_chest", "head_or_neck"}),
        ("spine_c5", "spine_c7", {"across_spinal_cord", "head_or_neck"}),
        ("left:face", "right:face", {"across_head", "head_or_neck"}),
        ("left:face", "left:scalp", {"head_or_neck"}),
        ("left:forearm", "left:upper_arm", set()),
        ("left:upper_arm", "left:thigh", {"through_trunk"}),
        ("left:low_back", "right:low_back", {"across_lumbar_midline"}),
        ("left:thigh", "left:leg", set()),
        ("forearm", "left:upper_arm", {"across_chest"}),  # a missing side may be the other side
    ],
)
def test_what_a_circuit_path_crosses(a: str, b: str, kinds: set[str]) -> None:
    assert set(path_kinds(CircuitPath(label="x", a=a, b=b))) == kinds


def test_circuit_input_bounds_and_unique_labels() -> None:
    with pytest.raises(ValueError):
        CircuitPath(label="x", a="left:forearm", b="left:hand", frequency_hz=300)
    with pytest.raises(ValueError):
        CircuitPath(label="x", a="left:wing", b="left:hand")
    same = [CircuitPath(label="x", a="left:forearm", b="left:hand")] * 2
    with pytest.raises(ValidationFailed, match="own label"):
        evaluate(Intake.from_data({**CLEAR_ANSWERS, "age": 40}), circuits=same, on=DAY)


def test_a_circuit_end_without_a_planned_needle_is_a_warning() -> None:
    intake = Intake.from_data({**CLEAR_ANSWERS, "age": 40})
    planned = planned_sites(KB, [("extensor_digitorum", "left")])
    circuit = CircuitPath(label="c1", a="left:forearm", b="left:upper_arm")
    result = evaluate(intake, planned, [circuit], on=DAY)
    assert any("c1" in w and "left upper arm" in w for w in result.warnings)
    assert result.circuits[0].path == "circuit c1 (left forearm to left upper arm)"
