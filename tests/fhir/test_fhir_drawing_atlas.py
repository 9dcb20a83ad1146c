"""Drawings in FHIR: symptom kind, depth and coverage travel; atlas-1 exports import onto atlas 2."""

from datetime import UTC, date, datetime

from filiform.fhir.map_drawing import ATLAS_VERSION, from_drawing, to_drawing

ROW = {
    "id": 5,
    "clinic_id": 1,
    "patient_id": 2,
    "episode_id": None,
    "drawn_on": date(2026, 3, 4),
    "version": 1,
    "created_by": 1,
    "created_at": datetime(2026, 3, 4, 10, 0, tzinfo=UTC),
    "updated_at": datetime(2026, 3, 4, 10, 0, tzinfo=UTC),
    "regions": [
        {"region": "right-temple-middle", "intensity": 6},
        {"region": "right-palmar-index-distal", "intensity": 4, "kind": "numbness", "depth": "deep", "coverage": 0.4},
    ],
}


def test_kind_depth_and_coverage_survive_a_round_trip():
    res = to_drawing(ROW)
    assert {c["code"]["coding"][0]["version"] for c in res["component"]} == {ATLAS_VERSION}
    assert "extension" not in res["component"][0]  # defaults are not written
    back = from_drawing(res, clinic_id=1)
    assert back["regions"] == ROW["regions"]


def test_a_bundle_exported_before_the_anatomical_chart_imports_onto_atlas_2():
    res = to_drawing(
        {**ROW, "regions": [{"region": "left-temple", "intensity": 7}, {"region": "left-vertex", "intensity": 3}]}
    )
    for component in res["component"]:
        del component["code"]["coding"][0]["version"]  # the old exporter wrote no version
    back = from_drawing(res, clinic_id=1)
    assert {r["region"]: r["intensity"] for r in back["regions"]} == {
        "left-temple-anterior": 7,
        "left-temple-middle": 7,
        "left-temple-posterior": 7,
        "midline-vertex": 3,
    }


def test_an_atlas_2_drawing_without_a_version_is_not_remapped():
    res = to_drawing(ROW)
    for component in res["component"]:
        del component["code"]["coding"][0]["version"]
    assert from_drawing(res, clinic_id=1)["regions"] == ROW["regions"]
