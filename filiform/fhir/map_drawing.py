"""Pain drawings: one Observation per drawing, one component per atlas region.

Symptom kind, depth and coverage travel as component extensions when not the default; a
drawing exported before the anatomical chart (atlas-1 region codes) is mapped to atlas 2
on import, exactly as stored drawings were migrated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from filiform.core.atlas.v1 import convert_drawing, is_v1_id
from filiform.fhir.codes import CS_OBSERVATION, CS_REGION, SD, UCUM
from filiform.fhir.common import concept, ref, ref_id
from filiform.fhir.map_clinical import EXAM, Row, _base, _record

ATLAS_VERSION = "2"  # the atlas-region code system's version: atlas 2 since the anatomical chart
EXT_SYMPTOM_KIND = SD + "symptom-kind"  # valueCode: ache, stabbing, burning, numbness, pins_and_needles
EXT_SYMPTOM_DEPTH = SD + "symptom-depth"  # valueCode: surface, deep
EXT_REGION_COVERAGE = SD + "region-coverage"  # valueDecimal: share of the region painted (0-1]


def _region_component(r: Mapping[str, Any]) -> dict[str, Any]:
    code = concept(CS_REGION, r["region"])
    code["coding"][0]["version"] = ATLAS_VERSION
    component: dict[str, Any] = {
        "code": code,
        "valueQuantity": {"value": r["intensity"], "unit": "score", "system": UCUM, "code": "{score}"},
    }
    extensions = []
    if r.get("kind", "ache") != "ache":
        extensions.append({"url": EXT_SYMPTOM_KIND, "valueCode": r["kind"]})
    if r.get("depth"):
        extensions.append({"url": EXT_SYMPTOM_DEPTH, "valueCode": r["depth"]})
    if r.get("coverage", 1.0) != 1.0:
        extensions.append({"url": EXT_REGION_COVERAGE, "valueDecimal": r["coverage"]})
    if extensions:
        component["extension"] = extensions
    return component


def to_drawing(row: Row) -> dict[str, Any]:
    res = _base("Observation", f"d{row['id']}", row)
    res.update(
        {
            "status": "final",
            "category": [EXAM],
            "code": concept(CS_OBSERVATION, "pain-drawing", "Pain drawing (atlas regions)"),
            "subject": ref("Patient", row["patient_id"]),
            "effectiveDateTime": row["drawn_on"].isoformat(),
            "component": [_region_component(r) for r in row["regions"]],
        }
    )
    if row["episode_id"]:
        res["basedOn"] = [ref("CarePlan", row["episode_id"])]
    return res


def _drawn_region(component: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "region": component["code"]["coding"][0]["code"],
        "intensity": component["valueQuantity"]["value"],
    }
    keys = {EXT_SYMPTOM_KIND: ("kind", "valueCode"), EXT_SYMPTOM_DEPTH: ("depth", "valueCode")}
    keys[EXT_REGION_COVERAGE] = ("coverage", "valueDecimal")
    for extension in component.get("extension", []):
        if extension.get("url") in keys:
            key, value = keys[extension["url"]]
            out[key] = extension[value]
    return out


def from_drawing(res: dict[str, Any], clinic_id: int) -> dict[str, Any]:
    """A drawing from FHIR; one exported before the anatomical chart (atlas-region codes with
    no version, or version 1, naming atlas-1 regions) is mapped to atlas 2 on the way in,
    exactly as stored drawings were migrated."""
    regions = [_drawn_region(c) for c in res["component"]]
    versions = {c["code"]["coding"][0].get("version") for c in res["component"]}
    if versions <= {None, "1"} and regions and all(is_v1_id(r["region"]) for r in regions):
        regions = convert_drawing(regions)
    return {
        **_record(res, ref_id({"reference": res["id"]}) or 0),
        "clinic_id": clinic_id,
        "patient_id": ref_id(res["subject"]),
        "episode_id": ref_id(res["basedOn"][0]) if "basedOn" in res else None,
        "drawn_on": res["effectiveDateTime"],  # validated (and parsed) by DrawingDetails on import
        "regions": regions,
    }
